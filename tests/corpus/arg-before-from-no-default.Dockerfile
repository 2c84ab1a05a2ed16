ARG TAG
FROM scratch
COPY a.txt /a.txt
