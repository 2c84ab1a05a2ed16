ARG FIRST
ARG SECOND=scratch
FROM ${FIRST:-${SECOND}}
COPY a.txt /a.txt
