FROM scratch
COPY --from=-1 /a /a
