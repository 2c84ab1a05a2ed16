FROM Not-Valid AS broken
COPY a.txt /a.txt
FROM scratch AS final
COPY a.txt /a.txt
