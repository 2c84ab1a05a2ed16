FROM scratch AS a
COPY a.txt /a.txt
FROM scratch
COPY --from a /a.txt /a.txt
