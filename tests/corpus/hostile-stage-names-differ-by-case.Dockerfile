FROM scratch AS A
COPY a.txt /a.txt
FROM scratch AS a
COPY b.txt /b.txt
FROM scratch
COPY --from=A /b.txt /b.txt
