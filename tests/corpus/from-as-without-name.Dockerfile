FROM scratch AS
COPY a.txt /a.txt
