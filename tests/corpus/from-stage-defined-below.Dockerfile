FROM msb-test-corpus-later AS first
COPY a.txt /a.txt
FROM scratch AS msb-test-corpus-later
COPY b.txt /b.txt
