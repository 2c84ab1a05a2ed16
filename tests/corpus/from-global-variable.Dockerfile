ARG SRC=src
FROM scratch AS src
COPY a.txt /a.txt
FROM scratch
COPY --from=${SRC} /a.txt /a.txt
