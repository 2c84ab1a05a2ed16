ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE} AS busybox
RUN echo shadow-marker > /shadow
FROM busybox
RUN cat /shadow
