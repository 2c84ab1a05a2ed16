FROM scratch
HEALTHCHECK --interval=often CMD true
COPY a.txt /a.txt
