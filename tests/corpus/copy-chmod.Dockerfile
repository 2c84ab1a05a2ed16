FROM scratch
COPY --chmod=644 a.txt /a.txt
