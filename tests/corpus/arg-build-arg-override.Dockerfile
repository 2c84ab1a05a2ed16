ARG BASE=msb-test-corpus/does-not-exist:1
FROM ${BASE}
COPY a.txt /a.txt
