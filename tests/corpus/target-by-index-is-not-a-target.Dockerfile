FROM scratch
COPY a.txt /a.txt
FROM scratch
COPY b.txt /b.txt
