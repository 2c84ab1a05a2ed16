FROM scratch as base
COPY a.txt /a.txt
FROM base
