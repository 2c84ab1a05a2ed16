FROM scratch AS a[31m
