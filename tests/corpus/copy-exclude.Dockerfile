FROM scratch
COPY --exclude=b.txt *.txt /
