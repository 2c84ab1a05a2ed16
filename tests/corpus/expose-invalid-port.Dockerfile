FROM scratch
EXPOSE notaport
COPY a.txt /a.txt
