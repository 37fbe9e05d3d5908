#!/usr/bin/env bash
# Send one generation request with kafka-console-producer and print its event with kafka-console-consumer, using the
# scripts of a Kafka distribution (KAFKA_BIN, default /opt/kafka/bin as in the apache/kafka image).
#
#   docs/examples/console/send-request.sh localhost:9092 sneaker 4
#   docker compose exec -T kafka bash -s -- kafka:9092 sneaker 4 < docs/examples/console/send-request.sh
#
# The record is "<requestId>|<request JSON>" with parse.key: the key must be the requestId (docs/messages.md).
# The consumer scans generation-events from the beginning and stops at the first event with that key: fine for a
# local setup; a service reads events in a consumer group of its own.
set -euo pipefail

bootstrap=${1:-localhost:9092}
label=${2:-sneaker}
count=${3:-4}
bin=${KAFKA_BIN:-/opt/kafka/bin}
id="console-$(date +%s)-$RANDOM"

echo "${id}|{\"schemaVersion\":1,\"requestId\":\"${id}\",\"label\":\"${label}\",\"count\":${count}}" |
    "$bin/kafka-console-producer.sh" --bootstrap-server "$bootstrap" --topic generation-requests \
        --producer-property acks=all --property parse.key=true --property 'key.separator=|'
echo "sent ${id}; waiting for its event (up to 5 minutes) ..." >&2

# print.headers shows the CloudEvents attributes (ce_type, ce_id, ...); the value is the event JSON. Terminal events
# are written in Kafka transactions: read only committed ones.
"$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --topic generation-events --from-beginning \
        --isolation-level read_committed --timeout-ms 300000 --property print.key=true --property print.headers=true \
        --property 'key.separator= | ' 2>/dev/null |
    grep -m 1 -F "| ${id} |" || { echo "no event for ${id}" >&2; exit 1; }
