FROM scratch AS build
COPY a.txt /a.txt
FROM scratch AS final
COPY --from=build /a.txt /a.txt
