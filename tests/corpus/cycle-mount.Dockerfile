ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE} AS a
RUN --mount=from=b,target=/b echo cycle-a-marker
FROM ${BASE_IMAGE} AS b
RUN --mount=from=a,target=/a echo cycle-b-marker
