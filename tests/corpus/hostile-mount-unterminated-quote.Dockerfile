ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE} AS x
FROM ${BASE_IMAGE}
RUN --mount="type=bind,from=x,target=/x true
