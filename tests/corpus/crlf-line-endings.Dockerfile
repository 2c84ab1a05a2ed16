FROM scratch AS base
COPY a.txt \
  /a.txt
FROM base
