FROM scratch AS build
COPY a.txt /a.txt
FROM scratch
COPY --from="build" /a.txt /a.txt
