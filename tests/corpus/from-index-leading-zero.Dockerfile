FROM scratch
COPY a.txt /a.txt
FROM scratch
COPY --from=00 /a.txt /a.txt
