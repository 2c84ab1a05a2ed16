ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE} AS src
RUN echo ssh-src-marker > /m.txt
FROM ${BASE_IMAGE}
RUN --mount=type=ssh,from=src,required=false echo ssh-user-marker
