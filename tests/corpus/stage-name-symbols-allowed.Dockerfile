FROM scratch AS a.b_c-1
COPY a.txt /a.txt
FROM scratch
COPY --from=a.b_c-1 /a.txt /a.txt
