FROM scratch AS aÿ
COPY a.txt /a.txt
