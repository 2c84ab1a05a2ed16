FROM scratch
COPY a.txt /a.txt
FROM scratch
COPY --from=+0 /a.txt /a.txt
