FROM scratch
COPY --from=msb-test-corpus-later /later.txt /later.txt
