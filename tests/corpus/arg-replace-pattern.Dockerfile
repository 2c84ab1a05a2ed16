ARG REF=release/1.0
ARG TAG=${REF/\//-}
FROM scratch AS release-1.0
COPY a.txt /a.txt
FROM ${TAG}
