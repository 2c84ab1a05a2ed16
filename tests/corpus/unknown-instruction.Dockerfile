FROM scratch
COPY a.txt /a.txt
FOO bar
