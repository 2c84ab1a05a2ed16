# syntax=docker/dockerfile:1
FROM scratch
COPY a.txt /a.txt
