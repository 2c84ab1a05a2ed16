FROM scratch AS a
COPY a.txt /a.txt
FROM scratch AS b
COPY b.txt /b.txt
FROM scratch
COPY --from=a --from=b /a.txt /a.txt
