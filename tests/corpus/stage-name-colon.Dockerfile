FROM scratch AS app:1
COPY a.txt /a.txt
