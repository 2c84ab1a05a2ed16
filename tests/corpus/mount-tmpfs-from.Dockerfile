ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE} AS src
RUN echo tmpfs-src-marker > /m.txt
FROM ${BASE_IMAGE}
RUN --mount=type=tmpfs,from=src,target=/t echo tmpfs-user-marker
