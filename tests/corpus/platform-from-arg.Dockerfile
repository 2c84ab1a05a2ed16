ARG PLAT=linux/amd64
FROM --platform=$PLAT scratch AS a
COPY a.txt /a.txt
