FROM scratch AS café
COPY a.txt /a.txt
