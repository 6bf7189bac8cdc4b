'use strict';
// kafkajs smoke test against a real keel broker, run with `node --test`:
// admin createTopics, producer send (acks -1), read back. kafkajs can only
// consume through a consumer group, so that test needs the group coordinator
// and is skipped while the broker does not advertise FindCoordinator (key 10).

const test = require('node:test');
const assert = require('node:assert/strict');
const { Kafka, logLevel, CompressionTypes } = require('kafkajs');
const { startBroker, apiVersions } = require('./keel_broker');

const TOPIC = 'kafkajs-smoke';
const COUNT = 100;
const FIND_COORDINATOR = 10;

function makeKafka(broker) {
  return new Kafka({
    clientId: 'keel-kafkajs',
    brokers: [broker.bootstrap],
    logLevel: logLevel.WARN,
    retry: { retries: 3 },
  });
}

function messages() {
  const out = [];
  for (let i = 0; i < COUNT; i++) {
    out.push({
      key: `k${i}`,
      value: `kafkajs-value-${i}-${'x'.repeat(i % 17)}`,
      headers: { idx: String(i) },
      timestamp: String(1680000000000 + i),
    });
  }
  return out;
}

// One broker per test; its log is printed when the test fails.
async function withBroker(t, body) {
  const broker = await startBroker({ 'auto.create.topics.enable': 'false' });
  try {
    await body(broker);
  } catch (e) {
    e.message += `\n---- keel log tail ----\n${broker.logTail()}`;
    throw e;
  } finally {
    await broker.stop();
  }
}

async function createAndProduce(kafka) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [{ topic: TOPIC, numPartitions: 2, replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 15000,
    });
    assert.equal(created, true, 'createTopics reported the topic as already existing');
    const md = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    assert.equal(md.topics[0].partitions.length, 2);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const result = await producer.send({
      topic: TOPIC,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: messages().map((m) => ({ ...m, partition: 0 })),
    });
    assert.equal(result.length, 1);
    assert.equal(result[0].errorCode, 0);
    assert.equal(result[0].partition, 0);
    assert.equal(result[0].baseOffset, '0');
  } finally {
    await producer.disconnect();
  }
}

test('admin createTopics, producer send with acks -1, offsets visible', async (t) => {
  await withBroker(t, async (broker) => {
    const kafka = makeKafka(broker);
    await createAndProduce(kafka);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      assert.ok(topics.includes(TOPIC), `listTopics: ${topics}`);
      const offsets = await admin.fetchTopicOffsets(TOPIC);
      const p0 = offsets.find((o) => o.partition === 0);
      const p1 = offsets.find((o) => o.partition === 1);
      assert.equal(p0.high, String(COUNT));
      assert.equal(p0.low, '0');
      assert.equal(p1.high, '0');
    } finally {
      await admin.disconnect();
    }
  });
});

test('consumer group reads back everything (requires the group coordinator)', async (t) => {
  await withBroker(t, async (broker) => {
    const apis = await apiVersions(broker.port);
    if (!apis.has(FIND_COORDINATOR)) {
      t.skip('requires consumer groups: keel does not advertise FindCoordinator (API key 10)');
      return;
    }
    const kafka = makeKafka(broker);
    await createAndProduce(kafka);
    const consumer = kafka.consumer({ groupId: 'keel-kafkajs-smoke', sessionTimeout: 10000 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
      const got = [];
      let done;
      const allIn = new Promise((resolve) => {
        done = resolve;
      });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          got.push({ partition, message });
          if (got.length >= COUNT) done();
        },
      });
      const timer = new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`consumed ${got.length} of ${COUNT} in 60 s`)), 60000));
      await Promise.race([allIn, timer]);
      const want = messages();
      assert.equal(got.length, COUNT);
      got.forEach(({ partition, message }, i) => {
        assert.equal(partition, 0);
        assert.equal(message.offset, String(i));
        assert.equal(message.key.toString(), want[i].key);
        assert.equal(message.value.toString(), want[i].value);
        assert.equal(message.headers.idx.toString(), want[i].headers.idx);
        assert.equal(message.timestamp, want[i].timestamp);
      });
    } finally {
      await consumer.disconnect();
    }
  });
});
