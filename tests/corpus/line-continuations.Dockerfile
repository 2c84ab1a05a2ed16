FROM \
  scratch \
  AS base
COPY \
  a.txt \
  b.txt \
  /files/
