"""Topic configs and the replication-factor policy, through real clients.

- compression.type: topics set to zstd, gzip and uncompressed receive
  uncompressed (or lz4) batches from confluent-kafka (librdkafka) and
  kafka-python, plain and idempotent; both clients read every record back
  (keys, values, headers, timestamps, offsets), and the batches stored in the
  segment files really use the topic's codec (a `producer` topic keeps what
  the producer sent). DescribeConfigs reports the override as TOPIC_CONFIG.
- message.format.version=0.10.0.0 (librdkafka's test 0092) is accepted by
  AlterConfigs and described back; remote.storage.enable=true is refused.
- replication.factor.policy: strict refuses CreateTopics with replication
  factor 3 from both clients with INVALID_REPLICATION_FACTOR and a message
  naming the key; accept creates the topic, Metadata lists this node as the
  only (in-sync) replica, and the asked factor survives a restart in
  topics.meta (also when the broker is restarted with strict).
"""

import glob
import os
import struct
import time
import unittest

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka import KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KpTopicPartition
from kafka.admin import KafkaAdminClient
from kafka.admin import NewTopic as KpNewTopic
from kafka.errors import InvalidReplicationFactorError

from keel_broker import BrokerTestCase

TIMEOUT_S = 30
CODEC_NAMES = {0: "uncompressed", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


def stored_codecs(data_dir, topic):
    """The codec of every batch in the topic's partition-0 segment files."""
    codecs = []
    for path in sorted(glob.glob(os.path.join(data_dir, topic + "-0", "*.log"))):
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + 61 <= len(data):
            length = struct.unpack_from(">i", data, pos + 8)[0]
            if length <= 0 or pos + 12 + length > len(data):
                break
            attributes = struct.unpack_from(">h", data, pos + 21)[0]
            codecs.append(CODEC_NAMES.get(attributes & 7, "?"))
            pos += 12 + length
    return codecs


def create(admin, name, config=None, rf=1):
    futures = admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=rf,
                                            config=config or {})], request_timeout=15)
    futures[name].result(timeout=TIMEOUT_S)


def describe(admin, name):
    res = ConfigResource(ConfigResource.Type.TOPIC, name)
    return admin.describe_configs([res], request_timeout=15)[res].result(timeout=TIMEOUT_S)


def records_for(tag, n):
    return [("k-%s-%d" % (tag, i), ("value %s %d " % (tag, i)) * 40,
             [("trace", ("t%d" % i).encode()), ("tag", tag.encode())], 1700000000000 + i)
            for i in range(n)]


def produce_confluent(bootstrap, topic, records, **conf):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, **conf})
    errors = []
    for key, value, headers, ts in records:
        p.produce(topic, key=key, value=value, headers=headers, timestamp=ts,
                  on_delivery=lambda err, msg: err and errors.append(err))
    assert p.flush(TIMEOUT_S) == 0, "confluent producer did not finish"
    assert not errors, errors


def produce_kafka_python(bootstrap, topic, records, **conf):
    p = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, **conf)
    futures = [p.send(topic, key=k.encode(), value=v.encode(), headers=h, timestamp_ms=ts)
               for k, v, h, ts in records]
    for f in futures:
        f.get(timeout=TIMEOUT_S)
    p.close()


def consume_confluent(bootstrap, topic, n):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "g-" + topic,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    out = []
    deadline = time.monotonic() + TIMEOUT_S
    while len(out) < n and time.monotonic() < deadline:
        m = c.poll(1.0)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                continue
            raise KafkaException(m.error())
        out.append((m.offset(), m.key().decode(), m.value().decode(),
                    [(k, v) for k, v in (m.headers() or [])], m.timestamp()[1]))
    c.close()
    return out


def consume_kafka_python(bootstrap, topic, n):
    c = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                      enable_auto_commit=False, consumer_timeout_ms=TIMEOUT_S * 1000)
    tp = KpTopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    out = []
    for m in c:
        out.append((m.offset, m.key.decode(), m.value.decode(), list(m.headers), m.timestamp))
        if len(out) >= n:
            break
    c.close()
    return out


class CompressionTypeTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"auto.create.topics.enable": "false", "offsets.topic.num.partitions": "1"}

    def check_topic(self, topic, codec, expect_stored, **producer_conf):
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        create(admin, topic, {"compression.type": codec} if codec else None)
        a = records_for("a", 150)
        b = records_for("b", 150)
        produce_confluent(self.broker.bootstrap, topic, a, **producer_conf)
        produce_kafka_python(self.broker.bootstrap, topic, b)
        produce_confluent(self.broker.bootstrap, topic, records_for("c", 50),
                          **{"enable.idempotence": True})
        want = [(i, k, v, h, ts) for i, (k, v, h, ts) in
                enumerate(a + b + records_for("c", 50))]
        for consume in (consume_confluent, consume_kafka_python):
            got = consume(self.broker.bootstrap, topic, len(want))
            self.assertEqual(len(got), len(want), consume.__name__)
            self.assertEqual(got, want, consume.__name__)
        codecs = stored_codecs(self.broker.data_dir, topic)
        self.assertTrue(codecs, "no batch found in the segment files")
        self.assertEqual(set(codecs), {expect_stored}, codecs)
        if codec:
            entry = describe(admin, topic)["compression.type"]
            self.assertEqual(entry.value, codec)
            self.assertEqual(entry.source, 1)  # DYNAMIC_TOPIC_CONFIG

    def test_zstd_topic_recompresses_uncompressed_batches(self):
        self.check_topic("t-zstd", "zstd", "zstd")

    def test_gzip_topic_recompresses_lz4_batches(self):
        # confluent sends lz4 here; kafka-python sends uncompressed.
        self.check_topic("t-gzip", "gzip", "gzip", **{"compression.type": "lz4"})

    def test_uncompressed_topic_decompresses(self):
        self.check_topic("t-plain", "uncompressed", "uncompressed", **{"compression.type": "snappy"})

    def test_producer_topic_keeps_what_was_sent(self):
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        create(admin, "t-producer")
        produce_confluent(self.broker.bootstrap, "t-producer", records_for("a", 100),
                          **{"compression.type": "lz4"})
        self.assertEqual(set(stored_codecs(self.broker.data_dir, "t-producer")), {"lz4"})
        entry = describe(admin, "t-producer")["compression.type"]
        self.assertEqual(entry.value, "producer")
        self.assertEqual(entry.source, 5)  # DEFAULT_CONFIG

    def test_ignored_and_refused_keys(self):
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        create(admin, "t-cfg", {"message.downconversion.enable": "false"})
        res = ConfigResource(ConfigResource.Type.TOPIC, "t-cfg",
                             set_config={"message.format.version": "0.10.0.0"})
        admin.alter_configs([res], request_timeout=15)[res].result(timeout=TIMEOUT_S)
        described = describe(admin, "t-cfg")
        self.assertEqual(described["message.format.version"].value, "0.10.0.0")
        self.assertEqual(described["message.format.version"].source, 1)
        # AlterConfigs replaced the overrides: back to Kafka's default.
        self.assertEqual(described["message.downconversion.enable"].value, "true")
        self.assertEqual(described["message.downconversion.enable"].source, 5)
        self.assertEqual(described["unclean.leader.election.enable"].value, "false")
        bad = ConfigResource(ConfigResource.Type.TOPIC, "t-cfg",
                             set_config={"remote.storage.enable": "true"})
        with self.assertRaises(KafkaException) as e:
            admin.alter_configs([bad], request_timeout=15)[bad].result(timeout=TIMEOUT_S)
        self.assertEqual(e.exception.args[0].code(), KafkaError.INVALID_CONFIG)
        self.assertIn("tiered", e.exception.args[0].str())


class BrokerDefaultCompressionTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"compression.type": "zstd", "auto.create.topics.enable": "false"}

    def test_broker_default_applies_to_new_topics(self):
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        create(admin, "t-default")
        produce_kafka_python(self.broker.bootstrap, "t-default", records_for("a", 60))
        self.assertEqual(set(stored_codecs(self.broker.data_dir, "t-default")), {"zstd"})
        entry = describe(admin, "t-default")["compression.type"]
        self.assertEqual(entry.value, "zstd")
        self.assertEqual(entry.source, 4)  # STATIC_BROKER_CONFIG
        self.assertEqual(len(consume_confluent(self.broker.bootstrap, "t-default", 60)), 60)


class StrictReplicationFactorTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"auto.create.topics.enable": "false"}

    def test_rf_3_is_refused_naming_the_policy(self):
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        with self.assertRaises(KafkaException) as e:
            create(admin, "rf3", rf=3)
        err = e.exception.args[0]
        self.assertEqual(err.code(), KafkaError.INVALID_REPLICATION_FACTOR)
        self.assertIn("replication.factor.policy", err.str())
        kp = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap)
        with self.assertRaises(InvalidReplicationFactorError):
            response = kp.create_topics([KpNewTopic("rf3-kp", 1, 3)], timeout_ms=15000)
            # kafka-python 2.0.2 raises on the topic error code itself.
            for name, code, *_ in response.topic_errors:
                self.assertNotEqual(code, 0)
                raise InvalidReplicationFactorError()
        kp.close()
        create(admin, "rf1", rf=1)
        md = admin.list_topics(timeout=TIMEOUT_S)
        self.assertNotIn("rf3", md.topics)
        self.assertIn("rf1", md.topics)


class AcceptReplicationFactorTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"auto.create.topics.enable": "false",
                       "replication.factor.policy": "accept"}

    def assert_one_replica(self, admin, topic):
        md = admin.list_topics(timeout=TIMEOUT_S).topics[topic]
        for p in md.partitions.values():
            self.assertEqual(p.replicas, [0])
            self.assertEqual(p.isrs, [0])
            self.assertEqual(p.leader, 0)

    def test_rf_3_is_accepted_recorded_and_survives_restart(self):
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        create(admin, "rf3", rf=3)
        kp = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap)
        response = kp.create_topics([KpNewTopic("rf3-kp", 2, 3)], timeout_ms=15000)
        self.assertEqual([code for _, code, *_ in response.topic_errors], [0])
        kp.close()
        self.assert_one_replica(admin, "rf3")
        self.assert_one_replica(admin, "rf3-kp")
        produce_confluent(self.broker.bootstrap, "rf3", records_for("a", 20), acks="all")
        meta = open(os.path.join(self.broker.data_dir, "topics.meta")).read()
        topic_lines = {l.split("\t")[1]: l.split("\t") for l in meta.splitlines()
                       if l.startswith("topic\t")}
        self.assertEqual(topic_lines["rf3"][5], "3")
        self.assertEqual(topic_lines["rf3-kp"][5], "3")
        # Restart (with strict: topics recorded earlier still load).
        self.broker.stop()
        self.broker.settings["replication.factor.policy"] = "strict"
        self.broker.start()
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        self.assert_one_replica(admin, "rf3")
        self.assertEqual(len(consume_confluent(self.broker.bootstrap, "rf3", 20)), 20)
        meta = open(os.path.join(self.broker.data_dir, "topics.meta")).read()
        self.assertIn("\trf3\t", meta)
        self.assertTrue(any(l.startswith("topic\trf3\t") and l.endswith("\t3")
                            for l in meta.splitlines()), meta)


if __name__ == "__main__":
    unittest.main()
