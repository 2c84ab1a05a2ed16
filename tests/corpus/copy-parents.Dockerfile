FROM scratch
COPY --parents a.txt /p/
