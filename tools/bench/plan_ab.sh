#!/bin/bash
# One build, two loadgen plans side by side through the whole path (demo: embedded Kafka + S3 + worker; loadgen in a
# second JVM), interleaved A, B, A, B...: each run starts a fresh demo on its own data, waits until it serves, sends
# its plan, and stops it. Prints images/s and latency percentiles per run, then medians with ranges.
# Usage: tools/bench/plan_ab.sh ROUNDS APP_DIR "PLAN A" "PLAN B"   (from the repository root; copy the app dir first)
#   e.g. tools/bench/plan_ab.sh 3 /tmp/app "--burst 40 --counts 16=1 --samplers ddim=1 --steps 25 --seed 5" \
#            "--burst 40 --counts 16=1 --samplers unipc=1 --steps 5 --seed 5"
set -euo pipefail
# shellcheck source=tools/bench/demo_lib.sh
. "$(dirname "$0")/demo_lib.sh"
rounds=$1; app=$2; plan_a=$3; plan_b=$4
out=$(mktemp -d /tmp/plan-ab.XXXXXX)
echo "results in $out" >&2
one_run() { # name plan
  local name=$1 plan=$2 data log port
  data=$(mktemp -d "$out/$name-data.XXXX"); log="$data/demo.log"
  start_demo "$app" "$data" || return 1
  port=$DEMO_PORT
  # shellcheck disable=SC2086 # the plan is a list of options
  java -jar "$app/quarkus-run.jar" loadgen --bootstrap-servers "127.0.0.1:$port" $plan --timeout 10m \
      --out "$data/loadgen" > "$data/loadgen.txt" 2>"$data/loadgen.err" || true
  stop_demo
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
