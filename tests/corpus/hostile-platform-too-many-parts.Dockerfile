FROM --platform=linux/amd64/v8/extra scratch
COPY a.txt /a.txt
