#!/usr/bin/env bash
# Validates the deployment files with the tools' own checkers, without Docker, a cluster or a GPU:
#   promtool check config / check rules / test rules, the dashboard's PromQL, docker compose config -q (v2, else v1),
#   kubectl kustomize (every overlay and the optional components), and the syntax of the scripts and examples.
# A tool that is missing is reported as SKIPPED (and counted); any failure makes the exit status non-zero.
# Debian: apt-get install -y prometheus docker-compose python3 (promtool, compose v1); Compose v2 and kubectl from your
# usual source. Run from anywhere: deploy/check.sh
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
skipped=0
log=$(mktemp)
work=$(mktemp -d)
trap 'rm -rf "$log" "$work"' EXIT

check() {
    local description=$1
    shift
    if "$@" >"$log" 2>&1; then
        echo "ok       $description"
        passed=$((passed + 1))
    else
        echo "FAILED   $description"
        sed 's/^/         | /' "$log"
        failed=$((failed + 1))
    fi
}

skip() {
    echo "SKIPPED  $1"
    skipped=$((skipped + 1))
}

have() {
    command -v "$1" >/dev/null 2>&1
}

monitoring=deploy/monitoring

# --- Prometheus ------------------------------------------------------------------------------------------------------
if have promtool; then
    check "promtool check config $monitoring/prometheus/prometheus.yml" \
        promtool check config "$monitoring/prometheus/prometheus.yml"
    check "promtool check rules (alert rules)" promtool check rules "$monitoring"/prometheus/rules/*.yml
    check "promtool test rules (alert unit tests)" promtool test rules "$monitoring"/prometheus/tests/*.yml
    # The dashboard's queries, each as a recording rule, so that promtool parses them (Grafana's $__rate_interval
    # becomes 1m). JSON is YAML, so no YAML library is needed.
    if have python3; then
        python3 - "$monitoring/grafana/dashboards/diffusion-worker.json" "$work/dashboard-queries.yml" <<'EOF'
import json, sys
dashboard = json.load(open(sys.argv[1]))
rules = []
for panel in dashboard["panels"]:
    for target in panel.get("targets", []):
        expr = target["expr"].replace("$__rate_interval", "1m").replace("$__interval", "15s")
        expr = expr.replace("$cluster", ".*").replace("$namespace", ".*")
        rules.append({"record": "dashboard:query:%d" % len(rules), "expr": expr})
json.dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}, open(sys.argv[2], "w"))
EOF
        check "dashboard PromQL parses (promtool check rules)" promtool check rules "$work/dashboard-queries.yml"
    else
        skip "dashboard PromQL (python3 missing)"
    fi
else
    skip "promtool checks (promtool missing: apt-get install -y prometheus)"
fi

# --- docker-compose --------------------------------------------------------------------------------------------------
# Placeholders for the variables compose requires from .env; they are never used to run anything.
compose_env=(MINIO_ROOT_USER=check-only MINIO_ROOT_PASSWORD=check-only GRAFANA_ADMIN_PASSWORD=check-only)
# Compose v2 (`docker compose`, what the setup needs: BuildKit builds) where installed; else v1's docker-compose, which
# parses the same file but is not what runs it (said in the check's name).
if have docker && docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
    compose_name="docker compose ($(docker compose version --short 2>/dev/null || echo v2))"
elif have docker-compose; then
    compose=(docker-compose)
    compose_name="docker-compose $(docker-compose version --short 2>/dev/null) (v1: Compose v2 not installed)"
else
    compose=()
fi
if [ ${#compose[@]} -gt 0 ]; then
    check "$compose_name config -q (default services)" \
        env "${compose_env[@]}" "${compose[@]}" -f docker-compose.yml config -q
    check "$compose_name config -q (profiles monitoring, gpu)" \
        env "${compose_env[@]}" COMPOSE_PROFILES=monitoring,gpu "${compose[@]}" -f docker-compose.yml config -q
else
    skip "compose config (neither Compose v2 nor docker-compose installed)"
fi

# --- Kubernetes ------------------------------------------------------------------------------------------------------
kustomizations=(k8s/base k8s/overlays/cpu k8s/overlays/gpu k8s/overlays/kafka-strimzi
    src/test/resources/deploy/kustomize/cpu-secured src/test/resources/deploy/kustomize/cpu-hpa)
if have kubectl; then
    for k in "${kustomizations[@]}"; do
        check "kubectl kustomize $k" kubectl kustomize "$k"
    done
elif have kustomize; then
    for k in "${kustomizations[@]}"; do
        check "kustomize build $k" kustomize build "$k"
    done
else
    skip "kustomize rendering of ${#kustomizations[@]} kustomizations (neither kubectl nor kustomize installed)"
fi

# --- scripts and examples --------------------------------------------------------------------------------------------
for script in deploy/check.sh deploy/monitoring/render-dashboard.sh docs/examples/console/*.sh \
        src/test/resources/deploy/console-shims/*.sh; do
    [ -f "$script" ] && check "bash -n $script" bash -n "$script"
done
if have python3; then
    for py in deploy/monitoring/*.py docs/examples/python/*.py src/test/resources/deploy/console-shims/*.py; do
        [ -f "$py" ] && check "python3 compiles $py" python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$py"
    done
else
    skip "python syntax (python3 missing)"
fi
if have node; then
    for js in docs/examples/node/*.js; do
        [ -f "$js" ] && check "node --check $js" node --check "$js"
    done
else
    skip "node syntax (node missing)"
fi

echo "deploy/check.sh: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
