FROM scratch AS build
COPY a.txt /a.txt
FROM build AS x
COPY b.txt /xb.txt
FROM scratch AS build
COPY b.txt /b.txt
FROM scratch
COPY --from=x /a.txt /a.txt
COPY --from=build /b.txt /b.txt
