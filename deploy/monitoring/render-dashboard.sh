#!/usr/bin/env bash
# Makes deploy/monitoring/dashboard.png from a real run, without Docker or Grafana: the embedded demo (a real Kafka
# broker, S3 store and worker), Debian's Prometheus scraping the worker every 5 s, a few minutes of load from
# render_dashboard.py, then every query of the Grafana dashboard run against that Prometheus and drawn where the
# dashboard puts its panels. A render of the panels' queries, not a Grafana screenshot.
#
# Needs: the built application (./mvnw -B -q package -DskipTests), Debian's prometheus, python3-kafka and
# python3-matplotlib (apt-get install -y prometheus python3-kafka python3-matplotlib).
#   deploy/monitoring/render-dashboard.sh            # MINUTES=6 by default; writes deploy/monitoring/dashboard.png
# Environment: MINUTES, APP (the quarkus-run.jar), JAVA_OPTS (extra -D flags for the demo), PYTHON, HTTP_PORT,
# PROMETHEUS_PORT, OUT, TSDB (keep Prometheus' data there, to render again later with render_dashboard.py render).
set -euo pipefail
cd "$(dirname "$0")/../.."

minutes=${MINUTES:-6}
app=${APP:-target/quarkus-app/quarkus-run.jar}
python=${PYTHON:-/usr/bin/python3}
http_port=${HTTP_PORT:-18080}
prometheus_port=${PROMETHEUS_PORT:-19090}
out=${OUT:-deploy/monitoring/dashboard.png}
work=$(mktemp -d)
demo_pid=""
prometheus_pid=""

cleanup() {
    [ -n "$prometheus_pid" ] && kill "$prometheus_pid" 2>/dev/null || true
    [ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

wait_for() { # description, seconds, command...
    local what=$1 seconds=$2
    shift 2
    for _ in $(seq 1 "$seconds"); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 1
    done
    echo "render-dashboard: $what did not come up within $seconds s" >&2
    return 1
}

echo "render-dashboard: starting the demo (broker, S3 store, worker on port $http_port) ..." >&2
# shellcheck disable=SC2086
java ${JAVA_OPTS:-} -Dquarkus.http.port="$http_port" -jar "$app" demo --data "$work/data" --out "$work/out" \
    >"$work/demo.out" 2>"$work/demo.err" &
demo_pid=$!
wait_for "the demo's Kafka broker" 120 grep -q "Kafka broker on" "$work/demo.err"
bootstrap=$(grep -o "Kafka broker on [0-9.:]*" "$work/demo.err" | head -1 | awk '{print $4}')
wait_for "the worker's readiness" 300 curl -fsS "http://127.0.0.1:$http_port/q/health/ready"

# Same job name and metrics path as the compose Prometheus; the alert rules are loaded too (promtool-checked).
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $PWD/deploy/monitoring/prometheus/rules/diffusion-worker.rules.yml
scrape_configs:
  - job_name: diffusion-worker
    metrics_path: /q/metrics
    static_configs:
      - targets: ["127.0.0.1:$http_port"]
EOF
promtool check config "$work/prometheus.yml" >&2
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="${TSDB:-$work/tsdb}" \
    --web.listen-address="127.0.0.1:$prometheus_port" >"$work/prometheus.log" 2>&1 &
prometheus_pid=$!
wait_for "Prometheus" 60 curl -fsS "http://127.0.0.1:$prometheus_port/-/ready"

# The demo's own 14 requests (one of them 500 DDPM steps) first: the load starts on an idle worker.
wait_for "the demo's summary" 900 grep -q "| request |" "$work/demo.out"
start=$(date +%s)
echo "render-dashboard: load for $minutes minutes against $bootstrap ..." >&2
"$python" deploy/monitoring/render_dashboard.py load --bootstrap-servers "$bootstrap" --minutes "$minutes"
sleep 10  # the last scrapes
end=$(date +%s)
"$python" deploy/monitoring/render_dashboard.py render --prometheus "http://127.0.0.1:$prometheus_port" \
    --prometheus-version "$(prometheus --version 2>&1 | head -1 | awk '{print $3}')" \
    --start "$start" --end "$end" --out "$out"
echo "render-dashboard: wrote $out (window $start to $end)" >&2
