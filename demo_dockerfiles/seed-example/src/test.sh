#!/bin/sh
# A tiny test suite for the built app.
set -e
app="$1"
out=$("$app" tester)
[ "$out" = "hello, tester" ] || { echo "FAIL: got '$out'"; exit 1; }
echo "ok 1 - greets by name"
out=$("$app")
[ "$out" = "hello, world" ] || { echo "FAIL: got '$out'"; exit 1; }
echo "ok 2 - greets the world by default"
echo "2 tests passed"
