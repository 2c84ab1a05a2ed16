FROM scratch AS src
COPY a.txt /a.txt
FROM scratch
ARG SRC=src
COPY --from=$SRC /a.txt /a.txt
