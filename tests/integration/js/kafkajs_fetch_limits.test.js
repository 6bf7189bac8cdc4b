'use strict';
// Fetch size limits (KIP-74) seen by kafkajs, run with `node --test`: three
// partitions holding batches near maxBytes and far above maxBytesPerPartition
// are consumed completely and in order by a consumer group with small
// limits, with fetch.zero.copy on (sendfile) and off (buffered).

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Kafka, logLevel, CompressionTypes } = require('kafkajs');
const { startBroker } = require('./keel_broker');

const TOPIC = 'kafkajs-fetch-limits';
const PARTITIONS = 3;
const MAX_BYTES = 100000;
// Value sizes (rotated per partition); each send is one batch per partition.
const SHAPE = [[90000], [300, 300, 300], [60000], [95000], [25000, 300], [30000], [99000], [300]];

async function runWith(zeroCopy, partitionMax) {
  const broker = await startBroker({ 'auto.create.topics.enable': 'false', 'fetch.zero.copy': zeroCopy });
  try {
    const kafka = new Kafka({ clientId: 'keel-kafkajs-limits', brokers: [broker.bootstrap],
                              logLevel: logLevel.WARN, retry: { retries: 3 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }],
                                 waitForLeaders: true, timeout: 15000 });
    } finally {
      await admin.disconnect();
    }
    const sent = new Map();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let i = 0; i < SHAPE.length; i++) {
        for (let p = 0; p < PARTITIONS; p++) {
          const values = SHAPE[(i + p) % SHAPE.length].map((n) => crypto.randomBytes(n));
          await producer.send({ topic: TOPIC, acks: -1, compression: CompressionTypes.None,
                                messages: values.map((value) => ({ value, partition: p })) });
          sent.set(p, [...(sent.get(p) || []), ...values]);
        }
      }
    } finally {
      await producer.disconnect();
    }
    const want = [...sent.values()].reduce((n, v) => n + v.length, 0);
    const got = new Map();
    let count = 0;
    const consumer = kafka.consumer({ groupId: `limits-${zeroCopy}-${partitionMax}`, sessionTimeout: 10000,
                                      maxBytes: MAX_BYTES, maxBytesPerPartition: partitionMax,
                                      maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
      let done;
      const allIn = new Promise((resolve) => { done = resolve; });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          got.set(partition, [...(got.get(partition) || []), message]);
          if (++count >= want) done();
        },
      });
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`consumed ${count} of ${want} in 60 s`)), 60000);
      });
      try {
        await Promise.race([allIn, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await consumer.disconnect();
    }
    for (let p = 0; p < PARTITIONS; p++) {
      const msgs = got.get(p) || [];
      assert.equal(msgs.length, sent.get(p).length, `partition ${p}`);
      msgs.forEach((m, i) => {
        assert.equal(m.offset, String(i), `partition ${p} in order`);
        assert.ok(m.value.equals(sent.get(p)[i]), `partition ${p} offset ${i} value`);
      });
    }
  } catch (e) {
    e.message += `\n---- keel log tail ----\n${broker.logTail()}`;
    throw e;
  } finally {
    await broker.stop();
  }
}

for (const zeroCopy of ['true', 'false']) {
  for (const partitionMax of [20, 50000]) {
    test(`fetch.zero.copy=${zeroCopy}, maxBytesPerPartition ${partitionMax}: everything consumed`, async () => {
      await runWith(zeroCopy, partitionMax);
    });
  }
}
