ARG A
FROM ${A-scratch}
COPY a.txt /a.txt
