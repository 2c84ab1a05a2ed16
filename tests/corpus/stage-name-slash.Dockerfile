FROM scratch AS team/app
COPY a.txt /a.txt
