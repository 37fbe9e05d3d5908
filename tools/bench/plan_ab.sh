#!/bin/bash
# One build, two loadgen plans side by side through the whole path (demo: embedded Kafka + S3 + worker; loadgen in a
# second JVM), interleaved A, B, A, B...: each run starts a fresh demo on its own data, waits until it serves, sends
# its plan, and stops it. Prints images/s and latency percentiles per run, then medians with ranges.
# Usage: tools/bench/plan_ab.sh ROUNDS APP_DIR "PLAN A" "PLAN B"   (from the repository root; copy the app dir first)
#   e.g. tools/bench/plan_ab.sh 3 /tmp/app "--burst 40 --counts 16=1 --samplers ddim=1 --steps 25 --seed 5" \
#            "--burst 40 --counts 16=1 --samplers unipc=1 --steps 5 --seed 5"
set -euo pipefail
rounds=$1; app=$2; plan_a=$3; plan_b=$4
out=$(mktemp -d /tmp/plan-ab.XXXXXX)
echo "results in $out" >&2
one_run() { # name plan
  local name=$1 plan=$2 data log port pid
  data=$(mktemp -d "$out/$name-data.XXXX"); log="$data/demo.log"
  java -jar "$app/quarkus-run.jar" demo --data "$data" --out "$data/grids" > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    grep -q "serving:" "$log" 2>/dev/null && break
    kill -0 $pid 2>/dev/null || { echo "demo of $name exited:" >&2; tail -20 "$log" >&2; return 1; }
    sleep 1
  done
  port=$(grep -o "Kafka broker on 127.0.0.1:[0-9]*" "$log" | head -1 | sed 's/.*://')
  # shellcheck disable=SC2086 # the plan is a list of options
  java -jar "$app/quarkus-run.jar" loadgen --bootstrap-servers "127.0.0.1:$port" $plan --timeout 10m \
      --out "$data/loadgen" > "$data/loadgen.txt" 2>"$data/loadgen.err" || true
  kill $pid; wait $pid 2>/dev/null || true
  ips=$(grep -o "[0-9.]* images/s" "$data/loadgen.txt" | head -1 | cut -d' ' -f1)
  lat=$(grep -o "produce to event (completed): p50 [0-9.]* ms, p90 [0-9.]* ms, p99 [0-9.]* ms" "$data/loadgen.txt" \
      | head -1 | sed 's/.*(completed): //' || true)
  echo "$name images/s $ips latency $lat"
  echo "$ips" >> "$out/$name.ips"
}
for r in $(seq 1 "$rounds"); do
  echo "round $r" >&2
  one_run A "$plan_a"
  one_run B "$plan_b"
done
for name in A B; do
  sort -g "$out/$name.ips" | awk -v n="$name" '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2;
    printf "%s: median %.2f images/s (range %.2f-%.2f, %d runs)\n", n, m, v[1], v[NR], NR}'
done
