FROM SCRATCH
COPY a.txt /a.txt
