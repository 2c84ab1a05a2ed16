ARG BASE_IMAGE=busybox:1.35
ARG SRC=src
FROM ${BASE_IMAGE} AS src
RUN echo var-src-marker > /m.txt
FROM ${BASE_IMAGE}
RUN --mount=from=$SRC,target=/src cat /src/m.txt
