ARG USE_SCRATCH=1
FROM ${USE_SCRATCH:+scratch}
COPY a.txt /a.txt
