COPY a.txt /a.txt
