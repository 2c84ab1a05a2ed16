FROM scratch AS final
COPY --from=later /a.txt /a.txt
FROM scratch AS later
COPY a.txt /a.txt
