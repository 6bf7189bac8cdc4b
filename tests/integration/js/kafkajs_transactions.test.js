'use strict';
// Transactions with kafkajs (a second, independent client implementation)
// against a real keel broker, run with `node --test`:
//   - a committed transaction is visible to a read_committed consumer group,
//     an aborted one is not (but is to readUncommitted);
//   - consume-transform-produce with transaction.sendOffsets: every input is
//     produced exactly once to the output and the group's committed offsets
//     reach the end of the input;
//   - a second producer with the same transactionalId fences the first.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Kafka, logLevel } = require('kafkajs');
const { startBroker } = require('./keel_broker');

function makeKafka(broker) {
  return new Kafka({
    clientId: 'keel-kafkajs-txn',
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100 },
  });
}

async function withBroker(body) {
  const broker = await startBroker({
    'auto.create.topics.enable': 'false',
    'group.initial.rebalance.delay.ms': '0',
  });
  try {
    await body(broker);
  } catch (e) {
    e.message += `\n---- keel log tail ----\n${broker.logTail()}`;
    throw e;
  } finally {
    await broker.stop();
  }
}

async function createTopics(kafka, topics) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: true, timeout: 15000 });
  } finally {
    await admin.disconnect();
  }
}

// Reads `topic` from the beginning with a fresh group until `expected`
// records arrived and `settleMs` passed without more (or the deadline).
async function readAll(kafka, topic, { readUncommitted = false, expected, settleMs = 1500 }) {
  const consumer = kafka.consumer({
    groupId: `reader-${Math.random().toString(36).slice(2)}`,
    readUncommitted,
    sessionTimeout: 10000,
    maxWaitTimeInMs: 200,
  });
  const out = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let last = Date.now();
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push({ partition, offset: Number(message.offset), value: message.value.toString() });
        last = Date.now();
      },
    });
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline && !(out.length >= expected && Date.now() - last > settleMs)) {
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return out;
}

test('committed transactions are visible to read_committed, aborted ones are not', async () => {
  await withBroker(async (broker) => {
    const kafka = makeKafka(broker);
    await createTopics(kafka, [{ topic: 'kt', numPartitions: 2 }]);
    const producer = kafka.producer({ transactionalId: 'kjs-vis', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    try {
      const send = async (label, n, commit) => {
        const txn = await producer.transaction();
        const messages = [];
        for (let i = 0; i < n; i++) messages.push({ value: `${label}-${i}`, partition: i % 2 });
        await txn.send({ topic: 'kt', messages });
        if (commit) await txn.commit();
        else await txn.abort();
      };
      await send('c1', 10, true);
      await send('a1', 6, false);
      await send('c2', 4, true);
    } finally {
      await producer.disconnect();
    }
    const committed = await readAll(kafka, 'kt', { expected: 14 });
    assert.deepEqual(committed.map((r) => r.value).sort(),
      [...Array(10).keys()].map((i) => `c1-${i}`).concat([...Array(4).keys()].map((i) => `c2-${i}`)).sort());
    const all = await readAll(kafka, 'kt', { readUncommitted: true, expected: 20 });
    assert.equal(all.length, 20);
    assert.equal(all.filter((r) => r.value.startsWith('a1-')).length, 6);
  });
});

test('consume-transform-produce with sendOffsets is exactly once', async () => {
  await withBroker(async (broker) => {
    const kafka = makeKafka(broker);
    await createTopics(kafka, [{ topic: 'kin', numPartitions: 2 }, { topic: 'kout', numPartitions: 1 }]);
    const N = 200;
    const plain = kafka.producer();
    await plain.connect();
    const input = [];
    for (let i = 0; i < N; i++) input.push({ value: `in-${i}`, partition: i % 2 });
    await plain.send({ topic: 'kin', messages: input, acks: -1 });
    await plain.disconnect();

    const producer = kafka.producer({ transactionalId: 'kjs-eos', maxInFlightRequests: 1, idempotent: true });
    const consumer = kafka.consumer({ groupId: 'kjs-eos-group', readUncommitted: false, sessionTimeout: 10000 });
    await producer.connect();
    await consumer.connect();
    let processed = 0;
    try {
      await consumer.subscribe({ topics: ['kin'], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const txn = await producer.transaction();
          try {
            await txn.send({
              topic: 'kout',
              messages: batch.messages.map((m) => ({ value: `${batch.partition}:${m.offset}` })),
            });
            const next = (BigInt(batch.lastOffset()) + 1n).toString();
            await txn.sendOffsets({
              consumerGroupId: 'kjs-eos-group',
              topics: [{ topic: 'kin', partitions: [{ partition: batch.partition, offset: next }] }],
            });
            await txn.commit();
            for (const m of batch.messages) resolveOffset(m.offset);
            processed += batch.messages.length;
          } catch (e) {
            await txn.abort();
            throw e;
          }
          await heartbeat();
        },
      });
      const deadline = Date.now() + 40000;
      while (processed < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
    assert.equal(processed, N);
    const out = await readAll(kafka, 'kout', { expected: N });
    const values = out.map((r) => r.value);
    assert.equal(new Set(values).size, values.length, 'duplicates in the output');
    const want = new Set(input.map((_, i) => `${i % 2}:${Math.floor(i / 2)}`));
    assert.deepEqual(new Set(values), want);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId: 'kjs-eos-group', topics: ['kin'] });
      const parts = offsets[0].partitions.map((p) => Number(p.offset)).sort();
      assert.deepEqual(parts, [N / 2, N / 2]);
    } finally {
      await admin.disconnect();
    }
  });
});

test('a second producer with the same transactionalId fences the first', async () => {
  await withBroker(async (broker) => {
    const kafka = makeKafka(broker);
    await createTopics(kafka, [{ topic: 'kf', numPartitions: 1 }]);
    const zombie = kafka.producer({ transactionalId: 'kjs-fence', maxInFlightRequests: 1, idempotent: true });
    await zombie.connect();
    const ztxn = await zombie.transaction();
    await ztxn.send({ topic: 'kf', messages: [{ value: 'zombie' }] });
    const successor = kafka.producer({ transactionalId: 'kjs-fence', maxInFlightRequests: 1, idempotent: true });
    await successor.connect();
    const stxn = await successor.transaction();
    await stxn.send({ topic: 'kf', messages: [{ value: 'successor' }] });
    await stxn.commit();
    await assert.rejects(ztxn.commit(), (e) =>
      /fenced|epoch|PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/i.test(`${e.type} ${e.message}`));
    await zombie.disconnect().catch(() => {});
    await successor.disconnect();
    const out = await readAll(kafka, 'kf', { expected: 1 });
    assert.deepEqual(out.map((r) => r.value), ['successor']);
  });
});
