ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE}
RUN echo '[31mred[0m ]0;title'
