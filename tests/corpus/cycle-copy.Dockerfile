FROM scratch AS a
COPY --from=b /b.txt /b.txt
FROM scratch AS b
COPY --from=a /a.txt /a.txt
