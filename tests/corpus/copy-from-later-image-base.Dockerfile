ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE} AS first
COPY --from=later /bin/busybox /bb
RUN echo first-marker
FROM ${BASE_IMAGE} AS later
RUN echo later-marker
