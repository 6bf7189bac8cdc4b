// The flexible versions of the admin APIs against a real keel broker, through
// @platformatic/kafka (a pure-JS client with its own codec for the current
// Kafka protocol): DescribeCluster v0-v1, IncrementalAlterConfigs v1,
// AlterConfigs v2, DescribeConfigs v4, DeleteRecords v2, DescribeLogDirs
// v2-v4, plus the client's Admin helpers (which negotiate their versions).
// Each raw call below names its version, so the request and response bytes
// are the client's, not keel's. Run with `node --test`.

import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  Admin,
  Connection,
  alterConfigsV2,
  deleteRecordsV2,
  describeClusterV0,
  describeClusterV1,
  describeConfigsV4,
  describeLogDirsV2,
  describeLogDirsV3,
  describeLogDirsV4,
  incrementalAlterConfigsV1,
} from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import keelBroker from './keel_broker.js';

const { Kafka, logLevel } = kafkajs;
const { startBroker } = keelBroker;

const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;
const NONE = 0;
const OFFSET_OUT_OF_RANGE = 1;
const INVALID_CONFIG = 40;
const INVALID_REQUEST = 42;
const MISMATCHED_ENDPOINT_TYPE = 114;
const TOPIC_CONFIG_SOURCE = 1;
const DEFAULT_CONFIG_SOURCE = 5;

let broker;
let conn;
let admin;

before(async () => {
  broker = await startBroker({ 'auto.create.topics.enable': 'false' });
  const [host, port] = broker.bootstrap.split(':');
  conn = new Connection('keel-admin-test');
  await conn.connect(host, Number(port));
  admin = new Admin({ clientId: 'keel-admin-test', bootstrapBrokers: [broker.bootstrap] });
});

after(async () => {
  if (conn) await conn.close();
  if (admin) await admin.close();
  if (broker) await broker.stop();
});

// Runs a raw API call; a response carrying error codes comes back as its
// parsed body instead of a thrown ResponseError.
async function call(api, ...args) {
  try {
    return await api.async(conn, ...args);
  } catch (e) {
    if (e.response) return e.response;
    throw e;
  }
}

async function createTopic(name, partitions, configs = []) {
  await admin.createTopics({ topics: [name], partitions, replicas: 1, configs });
}

async function topicConfigs(name, keys = null) {
  const resp = await call(describeConfigsV4.api,
    [{ resourceType: TOPIC, resourceName: name, configurationKeys: keys }], true, true);
  assert.equal(resp.results[0].errorCode, NONE);
  return new Map(resp.results[0].configs.map((c) => [c.name, c]));
}

async function produce(topic, partition, count) {
  const kafka = new Kafka({ clientId: 'keel-admin-test', brokers: [broker.bootstrap],
                            logLevel: logLevel.WARN });
  const producer = kafka.producer();
  await producer.connect();
  try {
    const messages = [];
    for (let i = 0; i < count; i++) messages.push({ value: `v${i}`, partition });
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

test('DescribeCluster v0 and v1 describe this node as broker and controller', async () => {
  const [host, port] = broker.bootstrap.split(':');
  for (const resp of [await call(describeClusterV0.api, false),
                      await call(describeClusterV1.api, false, 1)]) {
    assert.equal(resp.errorCode, NONE);
    assert.equal(resp.clusterId, 'keel-cluster');
    assert.equal(resp.controllerId, 0);
    assert.deepEqual(resp.brokers.map((b) => [b.brokerId, b.host, b.port, b.rack]),
                     [[0, host, Number(port), null]]);
    assert.equal(resp.clusterAuthorizedOperations, -2147483648);
  }
  const withOps = await call(describeClusterV1.api, true, 1);
  assert.equal(withOps.endpointType, 1);
  assert.equal(withOps.clusterAuthorizedOperations, 0x1fa0);
  const controllers = await call(describeClusterV1.api, false, 2);
  assert.equal(controllers.errorCode, MISMATCHED_ENDPOINT_TYPE);
  assert.deepEqual(controllers.brokers, []);
});

test('IncrementalAlterConfigs v1 merges SET, DELETE, APPEND and SUBTRACT', async () => {
  await createTopic('pk-incr', 2, [{ name: 'retention.ms', value: '1000' },
                                   { name: 'segment.ms', value: '60000' }]);
  const resp = await call(incrementalAlterConfigsV1.api, [{
    resourceType: TOPIC,
    resourceName: 'pk-incr',
    configs: [
      { name: 'retention.ms', configOperation: DELETE },
      { name: 'max.message.bytes', configOperation: SET, value: '65536' },
      { name: 'cleanup.policy', configOperation: APPEND, value: 'compact' },
    ],
  }], false);
  assert.deepEqual(resp.responses.map((r) => [r.errorCode, r.errorMessage, r.resourceName]),
                   [[NONE, null, 'pk-incr']]);
  let configs = await topicConfigs('pk-incr');
  assert.equal(configs.get('max.message.bytes').value, '65536');
  assert.equal(configs.get('max.message.bytes').configSource, TOPIC_CONFIG_SOURCE);
  assert.equal(configs.get('segment.ms').value, '60000');
  assert.equal(configs.get('retention.ms').value, '604800000');
  assert.equal(configs.get('retention.ms').configSource, DEFAULT_CONFIG_SOURCE);
  assert.equal(configs.get('cleanup.policy').value, 'delete,compact');

  const sub = await call(incrementalAlterConfigsV1.api, [{
    resourceType: TOPIC, resourceName: 'pk-incr',
    configs: [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }],
  }], false);
  assert.equal(sub.responses[0].errorCode, NONE);
  configs = await topicConfigs('pk-incr', ['cleanup.policy']);
  assert.equal(configs.get('cleanup.policy').value, 'compact');

  const validateOnly = await call(incrementalAlterConfigsV1.api, [{
    resourceType: TOPIC, resourceName: 'pk-incr',
    configs: [{ name: 'segment.ms', configOperation: SET, value: '120000' }],
  }], true);
  assert.equal(validateOnly.responses[0].errorCode, NONE);
  assert.equal((await topicConfigs('pk-incr', ['segment.ms'])).get('segment.ms').value, '60000');

  const bad = await call(incrementalAlterConfigsV1.api, [
    { resourceType: TOPIC, resourceName: 'pk-incr',
      configs: [{ name: 'segment.ms', configOperation: APPEND, value: '5' }] },
    { resourceType: BROKER, resourceName: '0',  // read-only at run time
      configs: [{ name: 'log.dirs', configOperation: SET, value: '/elsewhere' }] },
  ], false);
  assert.deepEqual(bad.responses.map((r) => r.errorCode), [INVALID_CONFIG, INVALID_REQUEST]);
  assert.match(bad.responses[0].errorMessage, /segment\.ms/);
  assert.match(bad.responses[1].errorMessage, /log\.dirs.*read-only at run time/);
});

test('AlterConfigs v2 replaces the whole override set', async () => {
  await createTopic('pk-alter', 1, [{ name: 'retention.ms', value: '1000' }]);
  const resp = await call(alterConfigsV2.api, [{
    resourceType: TOPIC, resourceName: 'pk-alter',
    configs: [{ name: 'retention.bytes', value: '1048576' }],
  }], false);
  assert.equal(resp.responses[0].errorCode, NONE);
  const configs = await topicConfigs('pk-alter', ['retention.bytes', 'retention.ms']);
  assert.equal(configs.get('retention.bytes').value, '1048576');
  assert.equal(configs.get('retention.ms').value, '604800000');
});

test('DescribeConfigs v4 returns synonyms, types and documentation', async () => {
  await createTopic('pk-describe', 1, [{ name: 'retention.ms', value: '4321' }]);
  const configs = await topicConfigs('pk-describe', ['retention.ms', 'segment.bytes']);
  const retention = configs.get('retention.ms');
  assert.deepEqual(retention.synonyms.map((s) => [s.name, s.value, s.source]),
                   [['retention.ms', '4321', TOPIC_CONFIG_SOURCE],
                    ['log.retention.ms', '604800000', DEFAULT_CONFIG_SOURCE]]);
  assert.equal(retention.configType, 5);  // LONG
  assert.ok(retention.documentation && retention.documentation.length > 0);
  assert.equal(configs.get('segment.bytes').configType, 3);  // INT
});

test('DeleteRecords v2 moves the log start offset; the Admin helper agrees', async () => {
  await createTopic('pk-delete', 2);
  await produce('pk-delete', 0, 10);
  await produce('pk-delete', 1, 4);
  const resp = await call(deleteRecordsV2.api, [{
    name: 'pk-delete',
    partitions: [{ partitionIndex: 0, offset: 3n }, { partitionIndex: 1, offset: -1n }],
  }], 10000);
  const byPartition = new Map(resp.topics[0].partitions.map((p) => [p.partitionIndex, p]));
  assert.equal(byPartition.get(0).errorCode, NONE);
  assert.equal(byPartition.get(0).lowWatermark, 3n);
  assert.equal(byPartition.get(1).errorCode, NONE);
  assert.equal(byPartition.get(1).lowWatermark, 4n);  // -1 = high watermark

  const above = await call(deleteRecordsV2.api,
    [{ name: 'pk-delete', partitions: [{ partitionIndex: 0, offset: 11n }] }], 10000);
  assert.equal(above.topics[0].partitions[0].errorCode, OFFSET_OUT_OF_RANGE);
  assert.equal(above.topics[0].partitions[0].lowWatermark, -1n);

  const helper = await admin.deleteRecords({
    topics: [{ name: 'pk-delete', partitions: [{ partition: 0, offset: 7n }] }],
  });
  assert.equal(helper[0].partitions[0].lowWatermark, 7n);

  const kafka = new Kafka({ clientId: 'keel-admin-test', brokers: [broker.bootstrap],
                            logLevel: logLevel.WARN });
  const kadmin = kafka.admin();
  await kadmin.connect();
  try {
    const offsets = await kadmin.fetchTopicOffsets('pk-delete');
    const p0 = offsets.find((o) => o.partition === 0);
    assert.equal(p0.low, '7');
    assert.equal(p0.high, '10');
  } finally {
    await kadmin.disconnect();
  }
});

test('DescribeLogDirs v2-v4 list the data dir with partition sizes', async () => {
  await createTopic('pk-dirs', 2);
  await produce('pk-dirs', 1, 25);
  const dataDir = fs.realpathSync(broker.dataDir);
  for (const [api, version] of [[describeLogDirsV2.api, 2], [describeLogDirsV3.api, 3],
                                [describeLogDirsV4.api, 4]]) {
    const resp = await call(api, null);
    assert.equal(resp.results.length, 1, `v${version}`);
    const dir = resp.results[0];
    assert.equal(dir.errorCode, NONE);
    assert.equal(fs.realpathSync(dir.logDir), dataDir);
    const topic = dir.topics.find((t) => t.name === 'pk-dirs');
    const parts = new Map(topic.partitions.map((p) => [p.partitionIndex, p]));
    assert.deepEqual([...parts.keys()].sort(), [0, 1]);
    assert.equal(parts.get(0).partitionSize, 0n);
    assert.ok(parts.get(1).partitionSize > 50n);
    for (const p of parts.values()) {
      assert.equal(p.offsetLag, 0n);
      assert.equal(p.isFutureKey, false);
    }
    if (version >= 3) assert.equal(resp.errorCode, NONE);
    if (version >= 4) {
      assert.ok(dir.totalBytes > 0n);
      assert.ok(dir.usableBytes >= 0n && dir.usableBytes <= dir.totalBytes);
    }
  }
  const filtered = await call(describeLogDirsV4.api, [{ name: 'pk-dirs', partitions: [0] }]);
  assert.deepEqual(filtered.results[0].topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]),
                   [['pk-dirs', [0]]]);
  const helper = await admin.describeLogDirs({ topics: [{ name: 'pk-dirs', partitions: [0, 1] }] });
  assert.equal(helper.length, 1);
  assert.equal(helper[0].results[0].topics[0].partitions.length, 2);
});
