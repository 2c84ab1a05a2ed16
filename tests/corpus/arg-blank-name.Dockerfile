FROM scratch
ARG =x
COPY a.txt /a.txt
