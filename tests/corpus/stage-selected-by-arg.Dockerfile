ARG FLAVOR=a
FROM scratch AS variant-a
COPY a.txt /a.txt
FROM scratch AS variant-b
COPY b.txt /b.txt
FROM variant-${FLAVOR}
