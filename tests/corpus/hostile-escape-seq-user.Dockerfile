FROM scratch
USER "]0;owned"
COPY a.txt /a.txt
