ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE}
RUN --netwrk=none echo unknown-flag-run-marker
