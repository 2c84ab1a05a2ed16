FROM scratch
COPY --chmpd=644 a.txt /a.txt
