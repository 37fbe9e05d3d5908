#!/bin/bash
# Two builds of the worker side by side through the whole path (demo: embedded Kafka + S3 + worker; loadgen from a
# second JVM), interleaved A, B, A, B...: each run starts a fresh demo on its own data, waits for its demo set to be
# answered, sends the same loadgen plan, and stops it. Prints images/s and latency percentiles per run, then medians.
# Usage: tools/bench/worker_ab.sh ROUNDS A_APP_DIR B_APP_DIR [loadgen options]   (from the repository root)
#   A_APP_DIR, B_APP_DIR: copies of target/quarkus-app (copy them: a build during the run would change them)
#   loadgen options default to a burst of 40 requests of 16 images, DDIM-25, guidance 0, seed 5.
# The loadgen of B reads the events of both (its consumer reads committed data, which sees both builds' events).
set -euo pipefail
# shellcheck source=tools/bench/demo_lib.sh
. "$(dirname "$0")/demo_lib.sh"
rounds=$1; a=$2; b=$3; shift 3
plan=("$@")
[ ${#plan[@]} -gt 0 ] || plan=(--burst 40 --counts 16=1 --samplers ddim=1 --steps 25 --seed 5)
out=$(mktemp -d /tmp/worker-ab.XXXXXX)
echo "results in $out" >&2
one_run() { # name app
  local name=$1 app=$2 data log port
  data=$(mktemp -d "$out/$name-data.XXXX"); log="$data/demo.log"
  start_demo "$app" "$data" || return 1
  port=$DEMO_PORT
  java -jar "$b/quarkus-run.jar" loadgen --bootstrap-servers "127.0.0.1:$port" "${plan[@]}" --timeout 10m \
      --out "$data/loadgen" > "$data/loadgen.txt" 2>"$data/loadgen.err" || true
  stop_demo
  # The report's figures: images/s over the run, end-to-end latency percentiles.
  ips=$(grep -o "[0-9.]* images/s" "$data/loadgen.txt" | head -1 | cut -d' ' -f1)
  lat=$(grep -o "produce to event (completed): p50 [0-9.]* ms, p90 [0-9.]* ms, p99 [0-9.]* ms" "$data/loadgen.txt" \
      | head -1 | sed 's/.*(completed): //' || true)
  echo "$name images/s $ips latency $lat"
  echo "$lat" | sed 's/p50 \([0-9.]*\) ms.*/\1/' >> "$out/$name.p50"
  echo "$ips" >> "$out/$name.ips"
}
for r in $(seq 1 "$rounds"); do
  echo "round $r" >&2
  one_run A "$a"
  one_run B "$b"
done
for name in A B; do
  sort -g "$out/$name.p50" | awk -v n="$name" '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2;
    printf "%s: median latency p50 %.0f ms (range %.0f-%.0f)\n", n, m, v[1], v[NR]}'
  sort -g "$out/$name.ips" | awk -v n="$name" '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2;
    printf "%s: median %.2f images/s (range %.2f-%.2f, %d runs)\n", n, m, v[1], v[NR], NR}'
done
