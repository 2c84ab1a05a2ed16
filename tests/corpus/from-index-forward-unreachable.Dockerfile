FROM scratch AS unused
COPY --from=1 /a.txt /a.txt
FROM scratch AS src
COPY a.txt /a.txt
