FROM scratch
ADD --link a.txt /a.txt
