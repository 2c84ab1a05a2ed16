FROM scratch AS helper
COPY a.txt /h.txt
FROM scratch AS obase
COPY b.txt /b.txt
ONBUILD COPY --from=helper /h.txt /h.txt
FROM obase AS child
FROM scratch
COPY --from=child /h.txt /h.txt
