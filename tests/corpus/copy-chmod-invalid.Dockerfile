FROM scratch
COPY --chmod=999 a.txt /a.txt
