"""Fetch size limits (KIP-74) seen by kafka-python and confluent-kafka: several
partitions holding batches near and above max.partition.fetch.bytes and near
fetch.max.bytes are consumed completely, in order, with small limits, with
fetch.zero.copy on (sendfile) and off (buffered)."""

import os
import unittest

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer
from confluent_kafka import TopicPartition as CkTopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer, TopicPartition

from keel_broker import BrokerTestCase

TIMEOUT_S = 30
PARTITIONS = 3
FETCH_MAX = 100000
# Value sizes per partition (rotated): near fetch.max.bytes, far above the
# partition limits used below, and runs of small records.
SHAPE = [90000, 300, 300, 60000, 95000, 25000, 300, 30000, 99000, 300]


class FetchLimitsBase(BrokerTestCase):
    topic = "fetch-limits"

    def setUp(self):
        super().setUp()
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        futures = admin.create_topics([NewTopic(self.topic, num_partitions=PARTITIONS,
                                                replication_factor=1)], request_timeout=15)
        futures[self.topic].result(timeout=TIMEOUT_S)
        producer = Producer({"bootstrap.servers": self.broker.bootstrap, "acks": "all",
                             "linger.ms": 5, "batch.size": FETCH_MAX,
                             "compression.type": "none"})
        self.sent = {}
        for p in range(PARTITIONS):
            values = []
            for i in range(len(SHAPE)):
                size = SHAPE[(i + p) % len(SHAPE)]
                values.append(os.urandom(size))
            for v in values:
                producer.produce(self.topic, value=v, partition=p)
            self.sent[p] = values
        self.assertEqual(producer.flush(TIMEOUT_S), 0)
        self.total = sum(len(v) for v in self.sent.values())

    def check(self, got):
        for p in range(PARTITIONS):
            offsets = [o for o, _ in got.get(p, [])]
            self.assertEqual(offsets, list(range(len(self.sent[p]))), "partition %d" % p)
            self.assertEqual([v for _, v in got[p]], self.sent[p], "partition %d values" % p)

    def test_kafka_python_consumes_everything(self):
        for partition_max in (20, 50000):
            with self.subTest(max_partition_fetch_bytes=partition_max):
                consumer = KafkaConsumer(bootstrap_servers=self.broker.bootstrap, group_id=None,
                                         enable_auto_commit=False,
                                         fetch_max_bytes=FETCH_MAX,
                                         max_partition_fetch_bytes=partition_max,
                                         fetch_max_wait_ms=100, consumer_timeout_ms=1000)
                self.addCleanup(consumer.close)
                tps = [TopicPartition(self.topic, p) for p in range(PARTITIONS)]
                consumer.assign(tps)
                consumer.seek_to_beginning(*tps)
                got = {}
                count = 0
                for _ in range(TIMEOUT_S * 2):
                    for tp, msgs in consumer.poll(timeout_ms=500).items():
                        for m in msgs:
                            got.setdefault(tp.partition, []).append((m.offset, m.value))
                            count += 1
                    if count >= sum(len(v) for v in self.sent.values()):
                        break
                self.check(got)

    def test_confluent_kafka_consumes_everything(self):
        for partition_max in (20, 50000):
            with self.subTest(max_partition_fetch_bytes=partition_max):
                consumer = Consumer({"bootstrap.servers": self.broker.bootstrap,
                                     "group.id": "fetch-limits-%d" % partition_max,
                                     "enable.auto.commit": False,
                                     "fetch.max.bytes": FETCH_MAX,
                                     "message.max.bytes": FETCH_MAX,
                                     # librdkafka's minimum for this fetch.max.bytes: a
                                     # larger response is refused and the fetch stalls.
                                     "receive.message.max.bytes": FETCH_MAX + 512,
                                     "max.partition.fetch.bytes": partition_max,
                                     "fetch.wait.max.ms": 100})
                self.addCleanup(consumer.close)
                consumer.assign([CkTopicPartition(self.topic, p, OFFSET_BEGINNING)
                                 for p in range(PARTITIONS)])
                got = {}
                count = 0
                want = sum(len(v) for v in self.sent.values())
                for _ in range(TIMEOUT_S * 2):
                    for m in consumer.consume(num_messages=100, timeout=0.5):
                        self.assertIsNone(m.error(), "consume error: %s" % m.error())
                        got.setdefault(m.partition(), []).append((m.offset(), m.value()))
                        count += 1
                    if count >= want:
                        break
                self.check(got)


class FetchLimitsSendfileTest(FetchLimitsBase, unittest.TestCase):
    broker_settings = {"auto.create.topics.enable": "false", "fetch.zero.copy": "true"}


class FetchLimitsBufferedTest(FetchLimitsBase, unittest.TestCase):
    broker_settings = {"auto.create.topics.enable": "false", "fetch.zero.copy": "false"}


if __name__ == "__main__":
    unittest.main()
