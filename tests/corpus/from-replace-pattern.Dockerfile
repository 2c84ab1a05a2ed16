ARG A=scratchx
FROM ${A/x/}
COPY a.txt /a.txt
