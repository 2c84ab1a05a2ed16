FROM scratch AS unused
COPY --chmod=999 a.txt /a.txt
FROM scratch
COPY b.txt /b.txt
