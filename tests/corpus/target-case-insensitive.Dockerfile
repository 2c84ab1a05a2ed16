FROM scratch AS Build
COPY a.txt /a.txt
FROM scratch AS final
COPY --from=build /a.txt /a.txt
