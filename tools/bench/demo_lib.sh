# Sourced by the worker benchmarks: starts a fresh `demo` and waits until it serves.
# start_demo APP_DIR DATA_DIR [JVM options...]: sets DEMO_PID and DEMO_PORT (the embedded broker's), logs to
# DATA_DIR/demo.log; returns 1 (with the log's tail) when the demo exits before it serves.
start_demo() {
  local app=$1 data=$2; shift 2
  local log="$data/demo.log"
  java "$@" -jar "$app/quarkus-run.jar" demo --data "$data" --out "$data/grids" > "$log" 2>&1 &
  DEMO_PID=$!
  for _ in $(seq 1 600); do
    grep -q "serving:" "$log" 2>/dev/null && break
    kill -0 "$DEMO_PID" 2>/dev/null || { echo "demo exited:" >&2; tail -20 "$log" >&2; return 1; }
    sleep 1
  done
  DEMO_PORT=$(grep -o "Kafka broker on 127.0.0.1:[0-9]*" "$log" | head -1 | sed 's/.*://')
}

# stop_demo: stops the demo started last and waits for it.
stop_demo() {
  kill "$DEMO_PID"; wait "$DEMO_PID" 2>/dev/null || true
}
