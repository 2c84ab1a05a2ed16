FROM --platform=$BUILDPLATFORM scratch AS a
COPY a.txt /a.txt
