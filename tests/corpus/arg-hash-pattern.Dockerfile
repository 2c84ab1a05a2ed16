ARG PLATFORM_ARG=linux/amd64
ARG ARCH=${PLATFORM_ARG#linux/}
FROM scratch AS base-amd64
COPY a.txt /a.txt
FROM base-${ARCH}
