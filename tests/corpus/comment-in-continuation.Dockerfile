FROM scratch
COPY a.txt \
# a comment inside the continuation
  b.txt \
  /files/
