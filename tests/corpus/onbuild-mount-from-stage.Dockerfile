ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE} AS helper
RUN echo helper-mount-marker > /h.txt
FROM ${BASE_IMAGE} AS obase
ONBUILD RUN --mount=from=helper,target=/h ls /h/bin/busybox
FROM obase AS child
RUN echo child-mount-marker
