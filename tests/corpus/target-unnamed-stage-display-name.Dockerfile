FROM scratch
COPY a.txt /a.txt
FROM scratch AS final
COPY b.txt /b.txt
