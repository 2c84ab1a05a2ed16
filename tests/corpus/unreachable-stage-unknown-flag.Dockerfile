FROM scratch AS unused
COPY --chmpd=644 a.txt /a.txt
FROM scratch AS final
COPY a.txt /a.txt
