ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE} AS final
RUN --mount=from=later,target=/l echo mount-forward-marker
FROM ${BASE_IMAGE} AS later
RUN echo later-marker > /l.txt
