ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE} AS helper
RUN echo helper-marker > /h.txt
FROM scratch AS obase
ONBUILD COPY --from=helper /bin/busybox /bb
FROM obase AS child
