FROM scratch AS a
COPY a.txt /a.txt
COPY --from=a /a.txt /again.txt
