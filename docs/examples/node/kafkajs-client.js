#!/usr/bin/env node
// Send one generation request and wait for its event, with kafkajs.
//
//   cd docs/examples/node && npm install
//   node kafkajs-client.js --bootstrap-servers localhost:9092 --label sneaker --count 4
//
// Prints the event's JSON on stdout; exits 0 when the request COMPLETED, 3 when it FAILED, 1 on a timeout.
// For a secured cluster pass `ssl: true, sasl: { mechanism: 'scram-sha-512', username, password }` to new Kafka().
'use strict';

const crypto = require('crypto');
const { Kafka, Partitioners, logLevel } = require('kafkajs');

function parseArgs(argv) {
  const options = {
    bootstrapServers: 'localhost:9092',
    requestsTopic: 'generation-requests',
    eventsTopic: 'generation-events',
    requestId: 'node-' + crypto.randomBytes(6).toString('hex'),
    label: 'sneaker',
    count: 4,
    steps: undefined,
    seed: undefined,
    timeout: 300,
  };
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(name in options)) {
      throw new Error(`unknown option ${argv[i]}`);
    }
    const value = argv[i + 1];
    options[name] = ['count', 'steps', 'timeout'].includes(name) ? Number(value) : value;
  }
  return options;
}

// [snippet:kafkajs-send]
// Key = requestId: every delivery of one id lands on one partition, so one worker sees them all. The default
// partitioner of kafkajs 2 hashes keys like the Java client (murmur2), so mixed producers agree on the partition.
// CommonJS has no top-level await: call it from an async function (main below).
async function sendRequest(kafka, topic, requestId, value) {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: requestId, value }] });
  } finally {
    await producer.disconnect();
  }
}
// [end]

async function main() {
  const o = parseArgs(process.argv);
  const request = { schemaVersion: 1, requestId: o.requestId, label: o.label, count: o.count,
    attributes: { caller: 'kafkajs-example' } };
  if (o.steps !== undefined) request.steps = o.steps;
  // Seeds go up to 2^63-1: send them as a JSON number written from the string, not through a JS number.
  let value = JSON.stringify(request);
  if (o.seed !== undefined) value = value.replace(/}$/, `,"seed":${BigInt(o.seed).toString()}}`);

  const kafka = new Kafka({ clientId: 'diffusion-client-example', brokers: o.bootstrapServers.split(','),
    logLevel: logLevel.WARN });
  // The end offsets of the events topic before sending: the answer comes after them.
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(o.eventsTopic);
  await admin.disconnect();

  // A consumer group of the caller's own (kafkajs has no manual assignment); it starts at the ends read above.
  // Terminal events are written in Kafka transactions: read only committed ones (kafkajs' default, said here).
  const consumer = kafka.consumer({ groupId: `diffusion-client-${o.requestId}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic: o.eventsTopic, fromBeginning: false });

  let finish;
  const result = new Promise((resolve) => { finish = resolve; });
  const timer = setTimeout(() => finish(null), o.timeout * 1000);
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      if (message.key === null || message.key.toString() !== o.requestId) return;
      const headers = Object.fromEntries(Object.entries(message.headers || {}).map(([k, v]) => [k, v.toString()]));
      finish({ headers, event: JSON.parse(message.value.toString()) });
    },
  });
  ends.forEach(({ partition, offset }) => consumer.seek({ topic: o.eventsTopic, partition, offset }));

  await sendRequest(kafka, o.requestsTopic, o.requestId, value);
  console.error(`sent ${o.requestId} to ${o.requestsTopic}; waiting for its event on ${o.eventsTopic}`);

  const answer = await result;
  clearTimeout(timer);
  await consumer.disconnect();
  if (answer === null) {
    console.error(`no event for ${o.requestId} within ${o.timeout} s`);
    return 1;
  }
  console.error(`${answer.headers.ce_type} ${answer.event.status} (ce_id ${answer.headers.ce_id})`);
  console.log(JSON.stringify(answer.event, null, 2));
  return answer.event.status === 'COMPLETED' ? 0 : 3;
}

main().then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(1);
});
