#!/usr/bin/env python3
"""Send one generation request and wait for its event, with confluent-kafka (pip install confluent-kafka, or Debian's
python3-confluent-kafka; librdkafka underneath).

    python3 docs/examples/python/confluent_kafka_client.py --bootstrap-servers localhost:9092 --label sneaker --count 4

Prints the event's JSON on stdout; exits 0 when the request COMPLETED, 3 when it FAILED, 1 on a timeout.
For a secured cluster add e.g. {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
"sasl.username": ..., "sasl.password": ..., "ssl.ca.location": ...} to both configurations below.
"""
import argparse
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap-servers", default="localhost:9092")
    p.add_argument("--requests-topic", default="generation-requests")
    p.add_argument("--events-topic", default="generation-events")
    p.add_argument("--request-id", default=None, help="default: a new one (confluent-<uuid>)")
    p.add_argument("--label", default="sneaker")
    p.add_argument("--count", type=int, default=4)
    p.add_argument("--steps", type=int, default=None, help="DDIM steps (default: the worker's, 25)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the event")
    return p.parse_args()


def main():
    args = parse_args()
    request_id = args.request_id or "confluent-" + uuid.uuid4().hex[:12]
    request = {"schemaVersion": 1, "requestId": request_id, "label": args.label, "count": args.count,
               "attributes": {"caller": "confluent-kafka-example"}}
    if args.steps is not None:
        request["steps"] = args.steps
    if args.seed is not None:
        request["seed"] = args.seed

    # Assign every partition of the events topic at its end before sending (no group needed for one answer; a service
    # reading all events would subscribe with a group.id of its own instead).
    # Terminal events are written in Kafka transactions: read only committed ones (librdkafka's default, said here).
    consumer = Consumer({"bootstrap.servers": args.bootstrap_servers, "group.id": "diffusion-client-example",
                         "enable.auto.commit": False, "isolation.level": "read_committed"})
    metadata = consumer.list_topics(args.events_topic, timeout=30)
    topic = metadata.topics.get(args.events_topic)
    if topic is None or topic.error is not None or not topic.partitions:
        print("topic %s not found" % args.events_topic, file=sys.stderr)
        return 1
    # Start at the current end of each partition (its high watermark), read before sending: the answer comes after.
    assigned = []
    for partition in sorted(topic.partitions):
        _, high = consumer.get_watermark_offsets(TopicPartition(args.events_topic, partition), timeout=30)
        assigned.append(TopicPartition(args.events_topic, partition, high))
    consumer.assign(assigned)
    deadline = time.monotonic() + args.timeout

    # murmur2_random: the Java client's partitioner (librdkafka's default hashes keys differently), so that this
    # producer and Java or kafka-python producers put the same requestId on the same partition.
    # [snippet:confluent-send]
    producer = Producer({"bootstrap.servers": args.bootstrap_servers, "acks": "all", "partitioner": "murmur2_random"})
    delivered = []  # the delivery report's error: None when the broker acknowledged the record
    producer.produce(args.requests_topic, key=request_id.encode("utf-8"), value=json.dumps(request).encode("utf-8"),
                     on_delivery=lambda err, msg: delivered.append(err))
    producer.flush(30)
    if not delivered or delivered[0] is not None:
        print("could not send %s: %s" % (request_id, delivered[0] if delivered else "no delivery report"),
              file=sys.stderr)
        return 1
    # [end]
    print("sent %s to %s; waiting for its event on %s" % (request_id, args.requests_topic, args.events_topic),
          file=sys.stderr)

    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error() is not None:
                raise KafkaException(msg.error())
            if msg.key() is None or msg.key().decode("utf-8") != request_id:
                continue
            headers = {k: v.decode("utf-8") for k, v in (msg.headers() or [])}
            event = json.loads(msg.value().decode("utf-8"))
            print("%s %s (ce_id %s)" % (headers.get("ce_type"), event["status"], headers.get("ce_id")), file=sys.stderr)
            print(json.dumps(event, indent=2))
            return 0 if event["status"] == "COMPLETED" else 3
    finally:
        consumer.close()
    print("no event for %s within %.0f s" % (request_id, args.timeout), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
