FROM scratch AS scratch
COPY a.txt /a.txt
FROM scratch AS derived
FROM scratch AS final
COPY --from=derived /a.txt /a.txt
