FROM scratch
SHELL /bin/sh -c
COPY a.txt /a.txt
