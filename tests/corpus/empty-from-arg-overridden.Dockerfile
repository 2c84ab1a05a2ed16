ARG BASE
FROM $BASE
COPY a.txt /a.txt
