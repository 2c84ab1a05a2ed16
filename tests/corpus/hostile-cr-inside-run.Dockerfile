ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE}
RUN echo oneecho two
