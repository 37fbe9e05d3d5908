#!/usr/bin/env python3
"""Stand-ins for the Kafka distribution's kafka-console-producer.sh and kafka-console-consumer.sh, for running
docs/examples/console/send-request.sh in DeployedWorkerTest where no Kafka distribution is installed. They accept the
options that script uses and behave like the real tools for them (kafka-python underneath): the producer sends one
record per stdin line, split at key.separator when parse.key=true; the consumer prints "headers<sep>key<sep>value"
(headers as k:v,k:v) and runs until --timeout-ms passes without a record, or until it is killed."""
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


def options(argv):
    opts, props = {}, {}
    i = 0
    while i < len(argv):
        name = argv[i]
        if name in ("--from-beginning",):
            opts[name] = True
            i += 1
            continue
        value = argv[i + 1]
        if name in ("--property", "--producer-property"):
            key, _, val = value.partition("=")
            props[key] = val
        else:
            opts[name] = value
        i += 2
    return opts, props


def produce(opts, props):
    producer = KafkaProducer(bootstrap_servers=opts["--bootstrap-server"], acks=props.get("acks", "all"))
    separator = props.get("key.separator", "\t")
    for line in sys.stdin:
        line = line.rstrip("\n")
        key, value = line.split(separator, 1) if props.get("parse.key") == "true" else (None, line)
        producer.send(opts["--topic"], key=key.encode() if key is not None else None, value=value.encode()).get(30)
    producer.close()


def consume(opts, props):
    try:
        consumer = KafkaConsumer(bootstrap_servers=opts["--bootstrap-server"], enable_auto_commit=False,
                                 isolation_level=opts.get("--isolation-level", "read_uncommitted"))
    except Exception:  # kafka-python before 2.1 has no isolation_level (Debian 12 ships 2.0.2)
        consumer = KafkaConsumer(bootstrap_servers=opts["--bootstrap-server"], enable_auto_commit=False)
    topic = opts["--topic"]
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
    consumer.assign(partitions)
    (consumer.seek_to_beginning if opts.get("--from-beginning") else consumer.seek_to_end)(*partitions)
    separator = props.get("key.separator", "\t")
    idle_limit = int(opts.get("--timeout-ms", "0")) / 1000.0
    last = time.monotonic()
    while not idle_limit or time.monotonic() - last < idle_limit:
        for records in consumer.poll(timeout_ms=200).values():
            for r in records:
                last = time.monotonic()
                fields = []
                if props.get("print.headers") == "true":
                    fields.append(",".join("%s:%s" % (k, v.decode()) for k, v in r.headers) or "NO_HEADERS")
                if props.get("print.key") == "true":
                    fields.append(r.key.decode() if r.key is not None else "null")
                fields.append(r.value.decode() if r.value is not None else "null")
                print(separator.join(fields), flush=True)
    print("Processed a total of messages", file=sys.stderr)


if __name__ == "__main__":
    opts, props = options(sys.argv[2:])
    produce(opts, props) if sys.argv[1] == "producer" else consume(opts, props)
