ARG A=scr B=atch
FROM ${A}${B}
COPY a.txt /a.txt
