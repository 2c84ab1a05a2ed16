FROM scratch AS build
COPY a.txt /a.txt
FROM scratch AS build
COPY b.txt /b.txt
FROM scratch AS final
COPY --from=build /b.txt /b.txt
