FROM scratch
COPY <<EOF /greeting.txt
hello
EOF
