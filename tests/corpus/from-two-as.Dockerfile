FROM scratch AS a AS b
COPY a.txt /a.txt
