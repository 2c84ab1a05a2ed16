# check=skip=all
FROM scratch
COPY a.txt /a.txt
