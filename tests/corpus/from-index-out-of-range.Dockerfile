FROM scratch
COPY a.txt /a.txt
FROM scratch
COPY --from=5 /a.txt /a.txt
