#!/bin/bash
# Images/s of the fast preset against DDIM-25 through `sample`, interleaved: each round runs every setting once,
# in a fresh JVM, at the same batch, label and seed; prints one line per run and the medians with ranges.
# Usage: tools/bench/sampler_speed.sh ROUNDS "label=args" ...   (from the repository root, after `package`)
# e.g.   tools/bench/sampler_speed.sh 5 "ddim25=--steps 25" "unipc8=--sampler unipc --steps 8"
set -euo pipefail
rounds=$1; shift
run="java -jar target/quarkus-app/quarkus-run.jar sample -q --label sneaker --count 64 --batch-size 64 --seed 7"
out=$(mktemp -d)
for r in $(seq 1 "$rounds"); do
  for setting in "$@"; do
    name=${setting%%=*}; args=${setting#*=}
    line=$($run $args --out "$out/$name.png")
    ips=$(sed -n 's/.*(\([0-9.]*\) images\/s).*/\1/p' <<<"$line")
    echo "round $r $name $ips"
    echo "$ips" >> "$out/$name.txt"
  done
done
for setting in "$@"; do
  name=${setting%%=*}
  sort -g "$out/$name.txt" | awk -v n="$name" '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2;
    printf "%s: median %.2f images/s (range %.2f-%.2f, %d runs)\n", n, m, v[1], v[NR], NR}'
done
