#!/usr/bin/env bash
# Send one generation request with kafka-console-producer and print its event with kafka-console-consumer, using the
# scripts of a Kafka distribution (KAFKA_BIN, default /opt/kafka/bin as in the apache/kafka image).
#
#   docs/examples/console/send-request.sh localhost:9092 sneaker 4
#   docker compose exec -T kafka bash -s -- kafka:9092 sneaker 4 < docs/examples/console/send-request.sh
#
# Prints the event line (headers | key | event JSON) on stdout; exits 0 when the request COMPLETED, 3 when it FAILED,
# 4 when it was CANCELED, 1 when no event came within TIMEOUT_S seconds (default 300). The consumer is stopped as soon
# as the answer is there. The record is "<requestId>|<request JSON>" with parse.key: the key must be the requestId
# (docs/messages.md). The consumer scans generation-events from the beginning: fine for a local setup; a service
# reads events in a consumer group of its own.
set -euo pipefail

bootstrap=${1:-localhost:9092}
label=${2:-sneaker}
count=${3:-4}
bin=${KAFKA_BIN:-/opt/kafka/bin}
timeout_s=${TIMEOUT_S:-300}
id=${REQUEST_ID:-"console-$(date +%s)-$RANDOM"}
events=$(mktemp)
consumer=
trap '[ -n "$consumer" ] && kill "$consumer" 2>/dev/null; rm -f "$events"' EXIT

# [snippet:console-send]
echo "${id}|{\"schemaVersion\":1,\"requestId\":\"${id}\",\"label\":\"${label}\",\"count\":${count}}" |
    "$bin/kafka-console-producer.sh" --bootstrap-server "$bootstrap" --topic generation-requests \
        --producer-property acks=all --property parse.key=true --property 'key.separator=|'
# [end]
echo "sent ${id}; waiting for its event (up to ${timeout_s} s) ..." >&2

# print.headers shows the CloudEvents attributes (ce_type, ce_id, ...); the value is the event JSON. Terminal events
# are written in Kafka transactions: read only committed ones.
# [snippet:console-read]
"$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --topic generation-events --from-beginning \
        --isolation-level read_committed --timeout-ms $((timeout_s * 1000)) --property print.key=true \
        --property print.headers=true --property 'key.separator= | ' > "$events" 2>/dev/null &
# [end]
consumer=$!

# The consumer never ends on its own before its timeout: watch its output and stop it at the answer (grep -a: header
# values may hold any bytes).
line=
while [ -z "$line" ] && kill -0 "$consumer" 2>/dev/null; do
    sleep 0.5
    line=$(grep -a -m 1 -F "| ${id} |" "$events" || true)
done
[ -n "$line" ] || line=$(grep -a -m 1 -F "| ${id} |" "$events" || true)
kill "$consumer" 2>/dev/null || true
wait "$consumer" 2>/dev/null || true
consumer=

if [ -z "$line" ]; then
    echo "no event for ${id} within ${timeout_s} s" >&2
    exit 1
fi
echo "$line"
case "$line" in
    *'"status":"COMPLETED"'*) exit 0 ;;
    *'"status":"CANCELED"'*) exit 4 ;;
    *) echo "${id} did not complete" >&2; exit 3 ;;
esac
