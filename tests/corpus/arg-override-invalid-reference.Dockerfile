ARG BASE=scratch
FROM ${BASE}
COPY a.txt /a.txt
