"""kafka-python (python3-kafka) smoke test against a real keel broker:
KafkaAdminClient.create_topics, KafkaProducer(acks='all') with each codec,
KafkaConsumer reading back with manually assigned partitions (no group)."""

import unittest

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from keel_broker import BrokerTestCase

TIMEOUT_S = 30


class KafkaPythonSmokeTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"auto.create.topics.enable": "false"}

    def create_topic(self, name, partitions):
        admin = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap,
                                 client_id="keel-kafka-python", request_timeout_ms=15000)
        self.addCleanup(admin.close)
        admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)],
                            timeout_ms=15000)
        self.assertIn(name, admin.list_topics())
        return admin

    def produce(self, topic, codec, count):
        producer = KafkaProducer(bootstrap_servers=self.broker.bootstrap, acks="all",
                                 compression_type=codec, linger_ms=20,
                                 client_id="keel-kafka-python")
        self.addCleanup(producer.close)
        sent = []
        futures = []
        for i in range(count):
            key = ("k%d" % i).encode()
            value = (("value-%d-" % i) * (1 + i % 13)).encode()
            headers = [("h", ("hv%d" % i).encode()), ("codec", codec.encode() if codec else b"")]
            ts = 1700000000000 + i
            futures.append(producer.send(topic, key=key, value=value, headers=headers,
                                         partition=0, timestamp_ms=ts))
            sent.append((key, value, headers, ts))
        producer.flush(timeout=TIMEOUT_S)
        offsets = [f.get(timeout=TIMEOUT_S).offset for f in futures]
        self.assertEqual(offsets, list(range(count)))
        return sent

    def consume(self, topic, count):
        consumer = KafkaConsumer(bootstrap_servers=self.broker.bootstrap, group_id=None,
                                 enable_auto_commit=False, auto_offset_reset="earliest",
                                 client_id="keel-kafka-python")
        self.addCleanup(consumer.close)
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        got = []
        for _ in range(60):
            for records in consumer.poll(timeout_ms=500).values():
                got.extend(records)
            if len(got) >= count:
                break
        return got

    def round_trip(self, codec):
        topic = "kafka-python-%s" % (codec or "none")
        self.create_topic(topic, 2)
        sent = self.produce(topic, codec, 200)
        got = self.consume(topic, len(sent))
        self.assertEqual(len(got), len(sent))
        for i, (rec, (key, value, headers, ts)) in enumerate(zip(got, sent)):
            self.assertEqual(rec.offset, i)
            self.assertEqual(rec.key, key)
            self.assertEqual(rec.value, value)
            self.assertEqual(list(rec.headers), headers)
            self.assertEqual(rec.timestamp, ts)

    def test_admin_create_topics_lists_the_topic_with_its_partitions(self):
        self.create_topic("kafka-python-admin", 3)
        consumer = KafkaConsumer(bootstrap_servers=self.broker.bootstrap, group_id=None)
        self.addCleanup(consumer.close)
        self.assertEqual(consumer.partitions_for_topic("kafka-python-admin"), {0, 1, 2})

    def test_create_existing_topic_fails(self):
        self.create_topic("kafka-python-dup", 1)
        admin = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap)
        self.addCleanup(admin.close)
        with self.assertRaises(TopicAlreadyExistsError):
            admin.create_topics([NewTopic("kafka-python-dup", 1, 1)], timeout_ms=15000)

    def test_gzip_round_trip(self):
        self.round_trip("gzip")

    def test_uncompressed_round_trip(self):
        self.round_trip(None)

    def test_snappy_round_trip(self):
        self.round_trip("snappy")

    def test_lz4_round_trip(self):
        self.round_trip("lz4")

    def test_zstd_round_trip(self):
        self.round_trip("zstd")


if __name__ == "__main__":
    unittest.main()
