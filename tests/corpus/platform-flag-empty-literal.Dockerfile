FROM --platform= scratch
COPY a.txt /a.txt
