ARG BASE
FROM ${BASE:?BASE-is-required}
COPY a.txt /a.txt
