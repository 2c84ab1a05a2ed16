ARG BASE
FROM ${BASE:-scratch}
COPY a.txt /a.txt
