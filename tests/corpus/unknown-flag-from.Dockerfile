FROM --plaform=linux/amd64 scratch
COPY a.txt /a.txt
