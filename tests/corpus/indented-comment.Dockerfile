FROM scratch
    # an indented comment
COPY a.txt /a.txt
