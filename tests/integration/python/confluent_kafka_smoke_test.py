"""confluent-kafka-python smoke test against a real keel broker:
AdminClient.create_topics, Producer(acks=all), Consumer with assign()."""

import unittest

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from keel_broker import BrokerTestCase

TIMEOUT_S = 30


class ConfluentKafkaSmokeTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"auto.create.topics.enable": "false"}

    def create_topic(self, name, partitions):
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        futures = admin.create_topics([NewTopic(name, num_partitions=partitions,
                                                replication_factor=1)],
                                      request_timeout=15)
        futures[name].result(timeout=TIMEOUT_S)
        md = admin.list_topics(timeout=TIMEOUT_S)
        self.assertIn(name, md.topics)
        self.assertEqual(sorted(md.topics[name].partitions), list(range(partitions)))
        return admin

    def test_create_topic_produce_and_consume_back(self):
        topic = "confluent-smoke"
        self.create_topic(topic, 3)
        producer = Producer({"bootstrap.servers": self.broker.bootstrap, "acks": "all",
                             "compression.type": "zstd", "linger.ms": 20})
        reports = []
        sent = []
        for i in range(300):
            key = ("k%d" % i).encode()
            value = ("confluent-%d" % i).encode() * (1 + i % 5)
            headers = [("n", str(i).encode())]
            ts = 1650000000000 + i
            producer.produce(topic, key=key, value=value, headers=headers, partition=i % 3,
                             timestamp=ts,
                             on_delivery=lambda err, msg: reports.append((err, msg)))
            sent.append((i % 3, key, value, headers, ts))
        self.assertEqual(producer.flush(TIMEOUT_S), 0, "undelivered messages remain")
        self.assertEqual(len(reports), len(sent))
        errors = [err for err, _ in reports if err is not None]
        self.assertEqual(errors, [])

        consumer = Consumer({"bootstrap.servers": self.broker.bootstrap,
                             "group.id": "keel-confluent-smoke",
                             "enable.auto.commit": False,
                             "enable.partition.eof": False})
        self.addCleanup(consumer.close)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(3)])
        got = []
        for _ in range(60):
            for msg in consumer.consume(num_messages=500, timeout=0.5):
                if msg.error() is not None:
                    self.fail("consume error: %s" % msg.error())
                got.append(msg)
            if len(got) >= len(sent):
                break
        self.assertEqual(len(got), len(sent))
        for p in range(3):
            want = [s for s in sent if s[0] == p]
            have = [m for m in got if m.partition() == p]
            self.assertEqual([m.offset() for m in have], list(range(len(want))))
            for m, (_, key, value, headers, ts) in zip(have, want):
                self.assertEqual(m.key(), key)
                self.assertEqual(m.value(), value)
                self.assertEqual(m.headers(), headers)
                self.assertEqual(m.timestamp(), (1, ts))  # 1 = TIMESTAMP_CREATE_TIME

    def test_delete_topic_removes_it(self):
        admin = self.create_topic("confluent-doomed", 1)
        admin.delete_topics(["confluent-doomed"], request_timeout=15)["confluent-doomed"].result(
            timeout=TIMEOUT_S)
        self.assertNotIn("confluent-doomed", admin.list_topics(timeout=TIMEOUT_S).topics)


if __name__ == "__main__":
    unittest.main()
