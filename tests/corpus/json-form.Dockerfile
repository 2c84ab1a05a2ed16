FROM scratch
COPY ["a.txt", "/dir with space/"]
ENTRYPOINT ["/app", "--flag"]
CMD ["serve"]
