FROM scratch AS --target
COPY a.txt /a.txt
