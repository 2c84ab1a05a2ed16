FROM scratch AS a b
COPY a.txt /a.txt
