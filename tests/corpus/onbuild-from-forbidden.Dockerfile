FROM scratch
ONBUILD FROM scratch
COPY a.txt /a.txt
