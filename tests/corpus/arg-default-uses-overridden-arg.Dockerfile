ARG A=msb-test-corpus/nope
ARG B=${A}atch
FROM $B
COPY a.txt /a.txt
