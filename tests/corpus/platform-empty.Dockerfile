ARG PLAT
FROM --platform=$PLAT scratch
COPY a.txt /a.txt
