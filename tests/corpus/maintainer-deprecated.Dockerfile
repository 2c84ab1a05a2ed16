FROM scratch
MAINTAINER someone@example.com
COPY a.txt /a.txt
