FROM scratch
ENV FOO
COPY a.txt /a.txt
