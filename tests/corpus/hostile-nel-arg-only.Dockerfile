ARG A=1FROM scratch
