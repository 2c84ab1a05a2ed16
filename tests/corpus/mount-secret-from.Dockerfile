ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE} AS src
RUN echo secret-src-marker > /m.txt
FROM ${BASE_IMAGE}
RUN --mount=type=secret,id=x,from=src echo secret-user-marker
