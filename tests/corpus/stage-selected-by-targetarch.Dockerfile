FROM scratch AS base-amd64
COPY a.txt /a.txt
FROM scratch AS base-arm64
COPY b.txt /b.txt
FROM base-${TARGETARCH}
