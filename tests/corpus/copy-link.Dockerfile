FROM scratch
COPY --link a.txt /a.txt
