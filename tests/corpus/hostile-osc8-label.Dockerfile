FROM scratch
LABEL link="]8;;http://evil\\click]8;;\\"
COPY a.txt /a.txt
