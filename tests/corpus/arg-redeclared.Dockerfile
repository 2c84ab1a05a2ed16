ARG BASE=msb-test-corpus/does-not-exist:1
ARG BASE=scratch
FROM $BASE
COPY a.txt /a.txt
