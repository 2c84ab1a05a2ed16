FROM scratch AS 1abc
COPY a.txt /a.txt
