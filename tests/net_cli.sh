#!/bin/bash
# The net step end to end through the forked runner: a server started per run,
# `ccbench serve` with `--server`, and an unreachable server that fails its
# runs while the suite goes on. Usage: net_cli.sh CCBENCH DIR
set -u
ccbench=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
fail() { echo "FAIL: $*"; exit 1; }

# 1. A server child per run: both runs ok, their records name it.
"$ccbench" run -q -m loop,pool -t 2 -w net:2ms -c 8 -d 300ms --warmup 100ms \
  --json "$dir/child.json" > "$dir/child.out" 2> "$dir/child.err" ||
  fail "run with a server child: $(cat "$dir/child.err")"
grep -q '"origin": "child"' "$dir/child.json" || fail "no child server in the results"
grep -q '"address": "127.0.0.1:' "$dir/child.json" || fail "the server's address is not recorded"
grep -q '"cpu_per_request_us"' "$dir/child.json" || fail "no server CPU per request"

# 2. `ccbench serve` in the background, a run against it with --server.
"$ccbench" serve > "$dir/serve.out" 2> "$dir/serve.err" &
serve_pid=$!
for _ in $(seq 50); do [ -s "$dir/serve.out" ] && break; sleep 0.1; done
address=$(head -1 "$dir/serve.out")
[[ $address =~ ^127\.0\.0\.1:[0-9]+$ ]] || { kill $serve_pid; fail "serve printed '$address'"; }
"$ccbench" run -q -m asio -w net:5ms -c 50 -d 300ms --warmup 100ms --server "$address" \
  --json "$dir/external.json" > /dev/null 2> "$dir/external.err"
status=$?
kill -TERM $serve_pid
wait $serve_pid
serve_status=$?
[ $status -eq 0 ] || fail "run against ccbench serve: $(cat "$dir/external.err")"
[ $serve_status -eq 0 ] || fail "serve exited with $serve_status on SIGTERM"
grep -q "\"address\": \"$address\"" "$dir/external.json" || fail "the results do not name $address"
grep -q '"origin": "external"' "$dir/external.json" || fail "origin is not external"
grep -q 'requests=[1-9]' "$dir/serve.err" || fail "serve's report: $(cat "$dir/serve.err")"

# 3. Nothing listens: each run fails naming the address, the suite goes on.
"$ccbench" run -q -m loop,pool -t 2 -w net:1ms -c 4 -d 200ms --warmup 0ms --server 127.0.0.1:1 \
  --json "$dir/refused.json" > /dev/null 2> "$dir/refused.err"
status=$?
[ $status -eq 1 ] || fail "expected exit status 1 for a refused server, got $status"
[ "$(grep -c '"status": "error"' "$dir/refused.json")" -eq 2 ] || fail "both runs should have failed"
[ "$(grep -c '127.0.0.1:1[^0-9]' "$dir/refused.json")" -ge 2 ] || fail "the errors do not name the address"
echo ok
