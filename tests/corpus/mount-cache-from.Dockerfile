ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE} AS src
RUN mkdir /c && echo cache-src-marker > /c/m.txt
FROM ${BASE_IMAGE}
RUN --mount=type=cache,from=src,source=/c,target=/cache,id=msb-test-corpus-cache-from cat /cache/m.txt
