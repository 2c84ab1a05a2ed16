ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE}
HEALTHCHECK --start-interval=1s CMD true
