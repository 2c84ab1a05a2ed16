ARG BASE
FROM $BASE AS unused
COPY a.txt /a.txt
FROM scratch AS final
COPY a.txt /a.txt
