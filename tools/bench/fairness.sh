#!/bin/bash
# Issue 26's scenario through the whole path (demo: embedded Kafka + S3 + worker; three loadgens in JVMs of their own),
# interleaved over the arms, each run on a fresh demo:
#   A: a flood of 40 requests of 16 images at once (DDIM-25, tenant "a" where the arm names tenants);
#   B: one request of 4 images every 2 s for 60 s (tenant "b"), counted while the flood lasts (sent before its last
#      request started);
#   H: 2 s after the flood, one request of 16 images (priority "high" where the arm names priorities).
# The loadgens start together and send from one time (--start-at, LOADGEN_START_MS after launch, default 15000), so
# their JVM start-up is over before the clock starts (it used to fall in the first seconds of the flood).
# Arms: NAME=APP_DIR:MODE, MODE "plain" (no tenant or priority named) or "fair" (tenants a and b, H high). An old build
# as a plain arm shows the worker before the scheduler. Per run it prints: images/s while the flood lasts (all images
# completed from the first send until the flood's last request completed, over that time: the worker is saturated
# then; B's 60 s of requests bound the whole run's length, so images/s over the whole run would measure the offered
# load, not the worker), B's p50/p95 latency, one full batch's sampling time (the median sampling time of the flood's
# requests sampled in one full batch, in the same run), and how many flood requests not started when H was sent
# completed before H (outside H's own batch). At the end, per arm: the medians, and B's p95 over the batch time of
# the first plain arm's run in the same round (a batch of max-images sampled alone, no request joining it).
# Usage: tools/bench/fairness.sh ROUNDS NAME=APP_DIR:MODE[:JVM_OPTIONS]...   (from the repository root; copy the app
# dirs first). JVM_OPTIONS go to that arm's demo, e.g. fair32=/tmp/app:fair:-Ddiffusionworker.batching.max-images=32
set -euo pipefail
# shellcheck source=tools/bench/demo_lib.sh
. "$(dirname "$0")/demo_lib.sh"
rounds=$1; shift
arms=("$@")
out=$(mktemp -d /tmp/fairness.XXXXXX)
echo "results in $out" >&2
loadgen_app=${arms[0]#*=}; loadgen_app=${loadgen_app%%:*}

one_run() { # name app mode jvm-options
  local name=$1 app=$2 mode=$3 opts=$4 data log port ta tb th
  data=$(mktemp -d "$out/$name-data.XXXX"); log="$data/demo.log"
  # shellcheck disable=SC2086 # DEMO_JAVA_OPTS (all arms) and the arm's own: JVM options of the demo
  start_demo "$app" "$data" ${DEMO_JAVA_OPTS:-} $opts || return 1
  port=$DEMO_PORT
  # The loadgens stand for producers on other machines: C1 only and one compiler thread, as S3Proxy runs, so that
  # their JIT takes little of the worker's two cores.
  lg() { java -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC -jar "$loadgen_app/quarkus-run.jar" loadgen --bootstrap-servers "127.0.0.1:$port" --timeout 10m \
      --samplers ddim=1 --steps 25 "$@"; }
  ta=(); tb=(); th=()
  if [ "$mode" = fair ]; then ta=(--tenants a=1); tb=(--tenants b=1); th=(--tenants a=1 --priorities high=1); fi
  # The three loadgens start together and begin at one time, once their JVMs are up: their start-up (seconds of
  # both cores) is not part of the worker's load.
  local start=$(( $(date +%s%3N) + ${LOADGEN_START_MS:-15000} ))
  lg --burst 40 --counts 16=1 --seed 5 "${ta[@]}" --start-at $start --out "$data/a" > "$data/a.txt" 2>"$data/a.err" &
  local a_pid=$!
  lg --rate 0.5 --duration 60s --counts 4=1 --seed 6 "${tb[@]}" --start-at $start --out "$data/b" > "$data/b.txt" \
      2>"$data/b.err" &
  local b_pid=$!
  lg --burst 1 --counts 16=1 --seed 7 "${th[@]}" --start-at $((start + 2000)) --out "$data/h" > "$data/h.txt" \
      2>"$data/h.err" || true
  wait $a_pid $b_pid || true
  grep -h "passed .* ms ago" "$data"/[abh].err >&2 || true
  stop_demo
  step_ms=$(grep -o "one step of a full batch ([0-9]* images) takes [0-9]* ms" "$log" | head -1 \
      | grep -o "[0-9]* ms" | cut -d' ' -f1)
  python3 - "$data" "$name" "$step_ms" "$out" <<'PY'
import csv, sys
data, name, step_ms, out = sys.argv[1], sys.argv[2], float(sys.argv[3] or "nan"), sys.argv[4]
rows = {k: list(csv.DictReader(open(f"{data}/{k}/events.csv"))) for k in "abh"}
done = [r for k in "abh" for r in rows[k] if r["status"] == "COMPLETED"]
first = min(float(r["sent_ms"]) for k in "abh" for r in rows[k] if r["sent_ms"])
flood_end = max(float(r["event_ms"]) for r in rows["a"] if r["status"] == "COMPLETED")
images = sum(int(r["count"]) for r in done if float(r["event_ms"]) <= flood_end)
ips = images / ((flood_end - first) / 1000)
flood_last_start = max(float(r["sent_ms"]) + float(r["queued_ms"]) for r in rows["a"] if r["status"] == "COMPLETED")
b = sorted(float(r["latency_ms"]) for r in rows["b"]
           if r["status"] == "COMPLETED" and float(r["sent_ms"]) < flood_last_start)
rank = lambda v, p: v[max(0, min(len(v) - 1, -(-len(v) * p // 100) - 1))]
b50, b95 = rank(b, 50), rank(b, 95)
full = max(int(r["batch_images"]) for r in rows["a"] if r["status"] == "COMPLETED")
one = sorted(float(r["sampling_ms"]) for r in rows["a"]
             if r["status"] == "COMPLETED" and r["batches"] == "1" and int(r["batch_images"]) == full)
batch_ms = one[len(one) // 2] if one else 25 * step_ms
h = rows["h"][0]
h_sent, h_done = float(h["sent_ms"]), float(h["event_ms"])
h_started = h_sent + float(h["queued_ms"])
# Flood requests not started when H was sent (started = sent + queued on the worker's clock, the same machine),
# outside H's own batch, that completed before H.
late = [r for r in rows["a"] if r["status"] == "COMPLETED"
        and float(r["sent_ms"]) + float(r["queued_ms"]) > h_sent
        and abs(float(r["sent_ms"]) + float(r["queued_ms"]) - h_started) > 100
        and float(r["event_ms"]) < h_done]
missing = sum(1 for k in "abh" for r in rows[k] if r["status"] != "COMPLETED")
print(f"{name} images/s {ips:.2f} ({images} images in {(flood_end - first) / 1000:.1f} s) B p50 {b50:.0f} ms p95 {b95:.0f} ms (n {len(b)}) batch {batch_ms:.0f}"
      f" ms (n {len(one)}; warm-up {25 * step_ms:.0f} ms) B p95/batch {b95 / batch_ms:.2f} H latency {h_done - h_sent:.0f} ms flood-before-H {len(late)}"
      f" not-completed {missing}")
with open(f"{out}/{name}.tsv", "a") as f:
    f.write(f"{ips}\t{b95}\t{batch_ms}\t{len(late)}\t{h_done - h_sent}\n")  # one line per round
PY
}
for r in $(seq 1 "$rounds"); do
  echo "round $r" >&2
  for arm in "${arms[@]}"; do
    name=${arm%%=*}; rest=${arm#*=}; app=${rest%%:*}; rest=${rest#*:}; mode=${rest%%:*}
    opts=""; [ "$rest" != "$mode" ] && opts=${rest#*:}
    one_run "$name" "$app" "$mode" "$opts"
  done
done
plain_arm=""
for arm in "${arms[@]}"; do
  rest=${arm#*=}; rest=${rest#*:}
  if [ "${rest%%:*}" = plain ]; then plain_arm=${arm%%=*}; break; fi
done
python3 - "$out" "$plain_arm" "${arms[@]}" <<'PY'
import statistics, sys
out, plain, arms = sys.argv[1], sys.argv[2], [a.split("=")[0] for a in sys.argv[3:]]
runs = {a: [[float(v) for v in line.split()] for line in open(f"{out}/{a}.tsv")] for a in arms}
for a in arms:
    ips = [r[0] for r in runs[a]]
    line = (f"{a}: median {statistics.median(ips):.2f} images/s while the flood lasts (range {min(ips):.2f}-"
            f"{max(ips):.2f}, {len(ips)} runs); B p95 / own full batch:"
            + "".join(f" {r[1] / r[2]:.2f}" for r in runs[a]))
    if plain:
        line += "; B p95 / plain's batch of the round:" + "".join(
            f" {r[1] / p[2]:.2f}" for r, p in zip(runs[a], runs[plain]))
    print(line + f"; flood requests completed before H: {sum(int(r[3]) for r in runs[a])}")
PY
