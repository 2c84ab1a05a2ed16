FROM scratch
ONBUILD ONBUILD COPY a.txt /a.txt
COPY a.txt /a.txt
