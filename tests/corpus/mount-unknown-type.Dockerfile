ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE}
RUN --mount=type=floppy,target=/x echo mount-type-marker
