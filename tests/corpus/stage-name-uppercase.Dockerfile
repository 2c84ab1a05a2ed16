FROM scratch AS Build
COPY a.txt /a.txt
FROM scratch
COPY --from=BUILD /a.txt /a.txt
