FROM msb-test-corpus/does-not-exist:1 AS broken
COPY a.txt /a.txt
FROM scratch AS final
COPY a.txt /a.txt
