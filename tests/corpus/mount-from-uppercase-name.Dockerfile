ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE} AS src
RUN echo upper-src-marker > /m.txt
FROM ${BASE_IMAGE}
RUN --mount=from=SRC,target=/src cat /src/m.txt
