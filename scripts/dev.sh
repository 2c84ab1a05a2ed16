#!/usr/bin/env bash
# One entry point for a fresh machine: set up what msb-tui needs, then run the app or the tests.
#   scripts/dev.sh demo [NAME] [msb-tui options]   open the TUI on a demo (default: go)
#   scripts/dev.sh test [pytest options]           run the whole test suite
#   scripts/dev.sh setup                           set up everything the tests need, run nothing
# Set-up (each step is skipped when already done): a virtual environment in .venv with the
# package installed; Docker engines; the offline demo images on each engine; for test and setup,
# a local registry (Debian's docker-registry) on 127.0.0.1:5000 (msb_tui/registry/server.py).
# - demo: one engine (DOCKER_HOST or the local socket; otherwise, as root on Debian/Ubuntu, current
#   Docker from Debian's newest suite, started in its own network namespace).
# - test and setup: the three engine lanes the real-engine tests run on (msb_tui/engine/lanes.py):
#     current     Docker 28.x, overlay2 store     unix:///run/msb-tui/current/docker.sock
#     containerd  Docker 28.x, containerd store   unix:///run/msb-tui/containerd/docker.sock
#     compat      Debian 12's Docker 20.10        unix:///var/run/docker.sock
#   MSB_TUI_LANES=current,compat limits the lanes (set-up and tests); default: all.
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:-demo}
shift || true

timed() {  # timed LABEL COMMAND...: run a set-up step and say how long it took
  local label=$1 start end
  shift
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  printf 'set-up: %-12s %6.1f s\n' "$label" "$(echo "$end - $start" | bc 2>/dev/null || python3 -c "print($end - $start)")" >&2
}

venv() {
  # A plain editable install, as a user would make one; the stamp says it is done for this pyproject.
  local stamp=.venv/.msb-installed-4
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    if ! .venv/bin/python -m pip install -q -e '.[test]' > .venv/pip-install.log 2>&1; then
      cat .venv/pip-install.log >&2
      echo "set-up: installing the package failed (log above)" >&2
      exit 1
    fi
    .venv/bin/python -c "import msb_tui, textual, docker, dockerfile" && touch "$stamp"
  fi
  # Byte-code for the package, as a regular (non-editable) install has it: with
  # PYTHONDONTWRITEBYTECODE set (as on this CI) every msb-tui command would otherwise compile the
  # package from source, ~0.2 s of CPU each (benchmarks/bench_build_overhead.py, parallel demo:
  # 1.08-1.10x the engine's CLI without it, 1.01-1.04x with it).
  .venv/bin/python -m compileall -q msb_tui > /dev/null
}

browser() {
  # Debian's chromium for the browser tests (tests/web drives it through playwright, which downloads
  # no browser of its own). Only for 'test' and 'setup': the demo does not need it.
  command -v chromium > /dev/null 2>&1 && return
  if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null 2>&1; then
    echo "set-up: no chromium; the browser tests need it (as root: apt-get install chromium)" >&2
    return
  fi
  if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium > .venv/apt-chromium.log 2>&1 \
      || { apt-get update -q > /dev/null 2>&1 \
           && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium > .venv/apt-chromium.log 2>&1; }; }; then
    cat .venv/apt-chromium.log >&2
    echo "set-up: installing chromium failed (log above)" >&2
    exit 1
  fi
}

timed venv venv
if [ "$action" = demo ]; then
  timed engine .venv/bin/msb-tui engine up
  timed demo-images .venv/bin/msb-tui demo-images
else
  lanes=${MSB_TUI_LANES:-all}
  timed engines .venv/bin/msb-tui engine up --lanes "$lanes"
  timed demo-images .venv/bin/msb-tui demo-images --lanes "$lanes"
  timed registry .venv/bin/msb-tui registry up   # 127.0.0.1:5000 for the host and each lane's netns
  case "$action" in test|setup) timed browser browser ;; esac
fi

case "$action" in
  demo) exec .venv/bin/msb-tui demo "$@" ;;
  test) exec .venv/bin/python -m pytest "$@" ;;
  setup) ;;
  *) echo "usage: scripts/dev.sh demo|test|setup [args]" >&2; exit 2 ;;
esac
