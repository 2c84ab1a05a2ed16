ARG A=scr
ARG B=${A}atch
FROM $B
COPY a.txt /a.txt
