#!/usr/bin/env python3
"""Send one generation request and wait for its event, with kafka-python (pip install kafka-python, or Debian's
python3-kafka).

    python3 docs/examples/python/kafka_python_client.py --bootstrap-servers localhost:9092 --label sneaker --count 4

Prints the event's JSON on stdout; exits 0 when the request COMPLETED, 3 when it FAILED, 4 when it was CANCELED, 1 on
a timeout. --follow asks for STARTED and PROGRESS events and prints them on stderr as they come; --cancel-after-started
takes the request back as soon as it started (a cancel record on the control topic) and waits for its CANCELED event.
The contract: docs/messages.md (request JSON, record key = requestId; events are CloudEvents in binary mode).
"""
import argparse
import json
import sys
import time
import uuid

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka import __version__ as kafka_version
from kafka.errors import KafkaConfigurationError


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap-servers", default="localhost:9092")
    p.add_argument("--requests-topic", default="generation-requests")
    p.add_argument("--events-topic", default="generation-events")
    p.add_argument("--request-id", default=None, help="default: a new one (python-<uuid>)")
    p.add_argument("--label", default="sneaker")
    p.add_argument("--count", type=int, default=4)
    p.add_argument("--steps", type=int, default=None, help="DDIM steps (default: the worker's, 25)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--control-topic", default="generation-control")
    p.add_argument("--follow", action="store_true", help="ask for STARTED and PROGRESS events and print them")
    p.add_argument("--cancel-after-started", action="store_true", help="cancel the request once it started")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the event")
    return p.parse_args()


def main():
    args = parse_args()
    request_id = args.request_id or "python-" + uuid.uuid4().hex[:12]
    request = {"schemaVersion": 1, "requestId": request_id, "label": args.label, "count": args.count,
               "attributes": {"caller": "kafka-python-example"}}
    if args.steps is not None:
        request["steps"] = args.steps
    if args.seed is not None:
        request["seed"] = args.seed
    if args.follow or args.cancel_after_started:
        request["events"] = ["started", "progress"]

    # Read events from the end of every partition, positioned *before* sending, so that the answer cannot be missed.
    # (A service that reads all events would rather use a consumer group of its own: group_id="my-service".)
    # Terminal events are written in Kafka transactions: read only committed ones (an aborted event came from a
    # worker that was fenced off; the request's next owner answers it). kafka-python reads committed data from 2.1.
    consumer_options = dict(bootstrap_servers=args.bootstrap_servers, enable_auto_commit=False,
                            key_deserializer=lambda k: k.decode("utf-8") if k is not None else None)
    try:
        consumer = KafkaConsumer(isolation_level="read_committed", **consumer_options)
    except KafkaConfigurationError:
        print("warning: kafka-python %s cannot read only committed events (2.1 can): an event of an aborted"
              " transaction may be read; dedupe terminal events by their ce_id" % kafka_version, file=sys.stderr)
        consumer = KafkaConsumer(**consumer_options)
    partitions = consumer.partitions_for_topic(args.events_topic)
    deadline = time.monotonic() + args.timeout
    while not partitions and time.monotonic() < deadline:
        time.sleep(0.5)
        partitions = consumer.partitions_for_topic(args.events_topic)
    if not partitions:
        print("topic %s not found" % args.events_topic, file=sys.stderr)
        return 1
    assigned = [TopicPartition(args.events_topic, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    consumer.seek_to_end(*assigned)
    for tp in assigned:
        consumer.position(tp)  # resolve the end offsets now

    # [snippet:kafka-python-send]
    # Key = requestId: every delivery of one id lands on one partition, so one worker sees them all.
    producer = KafkaProducer(bootstrap_servers=args.bootstrap_servers, acks="all",
                             key_serializer=str.encode,
                             value_serializer=lambda v: json.dumps(v).encode("utf-8"))
    producer.send(args.requests_topic, key=request_id, value=request).get(timeout=30)
    # [end]
    print("sent %s to %s; waiting for its event on %s" % (request_id, args.requests_topic, args.events_topic),
          file=sys.stderr)

    try:
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    if record.key != request_id:
                        continue
                    headers = {k: v.decode("utf-8") for k, v in (record.headers or [])}
                    event = json.loads(record.value.decode("utf-8"))
                    print("%s %s (ce_id %s)" % (headers.get("ce_type"), event["status"], headers.get("ce_id")),
                          file=sys.stderr)
                    # [snippet:kafka-python-follow]
                    if event["status"] == "STARTED":
                        print("  queued %d ms, batch of %d image(s)" % (event["queuedMs"], event["batch"]["images"]),
                              file=sys.stderr)
                        if args.cancel_after_started:
                            # A cancel is a record on the control topic, keyed by the request id; every worker reads it.
                            cancel = {"schemaVersion": 1, "action": "cancel", "requestId": request_id}
                            producer.send(args.control_topic, key=request_id, value=cancel).get(timeout=30)
                            print("sent a cancel of %s to %s" % (request_id, args.control_topic), file=sys.stderr)
                        continue
                    if event["status"] == "PROGRESS":
                        print("  step %d of %d, about %.1f s left" % (event["step"], event["steps"],
                                                                     event["etaMs"] / 1000.0), file=sys.stderr)
                        continue
                    # [end]
                    print(json.dumps(event, indent=2))
                    return {"COMPLETED": 0, "CANCELED": 4}.get(event["status"], 3)
    finally:
        consumer.close()
        producer.close()
    print("no event for %s within %.0f s" % (request_id, args.timeout), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
