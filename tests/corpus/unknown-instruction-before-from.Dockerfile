FOO bar
FROM scratch
COPY a.txt /a.txt
