ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE} AS src
RUN echo mount-src-marker > /m.txt
FROM ${BASE_IMAGE}
RUN --mount=from=src,target=/src cat /src/m.txt
