#!/bin/bash
# Record the crash verdicts of BuildKit 0.8: one throwaway dockerd 20.10 per case (own data-root, exec-root,
# pidfile, socket and network namespace under /var/lib/msb-analysis), never a shared engine.
# Usage: scripts/corpus_crashes.sh CASE... (root; the engines.toml entries are written under "20.10")
R=/var/lib/msb-analysis/rec
for name in "$@"; do
  rm -rf $R; mkdir -p $R/run
  unshare --net /usr/sbin/dockerd --host=unix://$R/d.sock --data-root=$R/data --exec-root=$R/run/exec --pidfile=$R/run/d.pid --bridge=none --iptables=false --ip-masq=false > $R/log 2>&1 &
  for i in $(seq 1 60); do DOCKER_HOST=unix://$R/d.sock /usr/bin/docker version >/dev/null 2>&1 && break; sleep 0.5; done
  /usr/bin/docker save msb-demo/busybox:1.35 | DOCKER_HOST=unix://$R/d.sock /usr/bin/docker load -q
  "$(dirname "$0")/../.venv/bin/python" "$(dirname "$0")/corpus_verdicts.py" --host unix://$R/d.sock --throwaway $name
  grep -a -m1 "panic:" $R/log
  kill $(cat $R/run/d.pid 2>/dev/null) 2>/dev/null; sleep 2
  grep $R /proc/mounts | awk '{print $2}' | sort -r | xargs -r umount -l
done
rm -rf $R
