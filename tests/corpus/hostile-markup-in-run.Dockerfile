ARG BASE_IMAGE=busybox:1.35
FROM ${BASE_IMAGE}
RUN echo '[red]not markup[/red] [link=http://x]y[/link]'
