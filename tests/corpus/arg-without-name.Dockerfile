FROM scratch
ARG
COPY a.txt /a.txt
