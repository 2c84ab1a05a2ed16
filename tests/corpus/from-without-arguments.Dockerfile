FROM
COPY a.txt /a.txt
