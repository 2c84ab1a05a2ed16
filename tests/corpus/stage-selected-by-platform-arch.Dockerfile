FROM scratch AS alpine-amd64
COPY a.txt /amd64.txt
FROM scratch AS alpine-arm64
COPY b.txt /arm64.txt
FROM alpine-${TARGETARCH}
