FROM scratch AS base
ONBUILD COPY a.txt /onbuild.txt
FROM base AS child
FROM scratch
COPY --from=child /onbuild.txt /onbuild.txt
