FROM scratch
COPY a.txt /a.txt
FROM scratch
COPY --from=-1 /a.txt /a.txt
