ARG X=1
COPY a.txt /a.txt
FROM scratch
