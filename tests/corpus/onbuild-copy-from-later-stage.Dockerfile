FROM scratch AS obase
ONBUILD COPY --from=late /a.txt /a.txt
FROM obase AS child
FROM scratch AS late
COPY a.txt /a.txt
FROM scratch
COPY --from=child /a.txt /a.txt
