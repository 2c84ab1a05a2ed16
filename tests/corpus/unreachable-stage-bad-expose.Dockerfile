FROM scratch AS unused
EXPOSE notaport
FROM scratch AS final
COPY a.txt /a.txt
