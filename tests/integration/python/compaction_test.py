"""Log compaction seen through real clients against a real keel broker.

A topic with cleanup.policy=compact and small segments receives many updates
to few keys plus tombstones; the broker's cleaner (woken every 200 ms here)
compacts the closed segments. The tests read the topic from the beginning
with confluent-kafka (librdkafka) and kafka-python and check that:
  - every key's newest value is seen, and far fewer records than were
    produced remain (compaction happened, offsets kept their gaps);
  - tombstones remain readable for delete.retention.ms, then disappear and
    their keys are gone;
  - the compacted log survives a kill -9 of the broker;
  - records without a key are refused (INVALID_RECORD), as Kafka refuses them.
Every wait is bounded and fails with the state seen and the broker log tail.
"""

import time
import unittest

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer
from kafka import TopicPartition as KpTopicPartition

from keel_broker import BrokerTestCase

TOPIC = "agent-state"
KEYS = 20
UPDATES = 2000
DELETED = ["key-%02d" % i for i in range(5)]
DELETE_RETENTION_MS = 8000
TIMEOUT_S = 40


class CompactionTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {
        "auto.create.topics.enable": "false",
        "log.cleaner.backoff.ms": "200",
        "offsets.topic.num.partitions": "1",
    }

    def setUp(self):
        super().setUp()
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        topic = NewTopic(TOPIC, num_partitions=1, replication_factor=1, config={
            "cleanup.policy": "compact",
            "segment.bytes": "16384",
            "delete.retention.ms": str(DELETE_RETENTION_MS),
            "min.cleanable.dirty.ratio": "0.01",
        })
        for future in admin.create_topics([topic], operation_timeout=10).values():
            future.result(timeout=TIMEOUT_S)

    def produce(self, records):
        errors = []
        producer = Producer({"bootstrap.servers": self.broker.bootstrap, "acks": "all",
                             "linger.ms": 5, "enable.idempotence": False})

        def on_delivery(err, msg):
            if err is not None:
                errors.append(err)

        for key, value in records:
            producer.produce(TOPIC, key=key, value=value, on_delivery=on_delivery)
            producer.poll(0)
        self.assertEqual(producer.flush(TIMEOUT_S), 0, "undelivered records")
        return errors

    def produce_history(self):
        """Updates, then tombstones, then filler that rolls them into closed
        segments. Returns {key: newest value} (None = tombstone)."""
        newest = {}
        self.newest_offset = {}
        updates = []
        for i in range(UPDATES):
            key = "key-%02d" % (i % KEYS)
            value = ("%s:%d:" % (key, i)).encode() + b"x" * 100
            updates.append((key.encode(), value))
            newest[key] = value
            self.newest_offset[key] = i
        self.assertEqual(self.produce(updates), [])
        self.tombstones_sent_at = time.monotonic()
        self.assertEqual(self.produce([(k.encode(), None) for k in DELETED]), [])
        for j, k in enumerate(DELETED):
            newest[k] = None
            self.newest_offset[k] = UPDATES + j
        filler = [(("filler-%03d" % i).encode(), b"f" * 400) for i in range(60)]
        self.assertEqual(self.produce(filler), [])
        for j, (k, v) in enumerate(filler):
            newest[k.decode()] = v
            self.newest_offset[k.decode()] = UPDATES + len(DELETED) + j
        return newest

    def read_all_confluent(self):
        """Every record from offset 0 to the high watermark: [(offset, key, value)]."""
        consumer = Consumer({"bootstrap.servers": self.broker.bootstrap,
                             "group.id": "reader", "enable.auto.commit": False,
                             "enable.partition.eof": True})
        try:
            _, high = consumer.get_watermark_offsets(TopicPartition(TOPIC, 0), timeout=10)
            consumer.assign([TopicPartition(TOPIC, 0, 0)])
            out = []
            deadline = time.monotonic() + TIMEOUT_S
            while time.monotonic() < deadline:
                msg = consumer.poll(0.2)
                if msg is None:
                    continue
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        if msg.offset() >= high:
                            return out
                        continue
                    self.fail("consumer error %s\n%s" % (msg.error(), self.broker.log_tail()))
                out.append((msg.offset(), msg.key().decode(), msg.value()))
            self.fail("did not reach the high watermark %d (read %d)" % (high, len(out)))
        finally:
            consumer.close()

    @staticmethod
    def latest(records):
        state = {}
        for _, key, value in records:
            state[key] = value
        return state

    def wait_for(self, predicate, what):
        deadline = time.monotonic() + TIMEOUT_S
        records = []
        while time.monotonic() < deadline:
            records = self.read_all_confluent()
            if predicate(records):
                return records
            time.sleep(0.3)
        self.fail("%s: last read %d records\n%s" % (what, len(records), self.broker.log_tail()))

    def test_consumers_see_every_latest_value_and_tombstones_expire(self):
        newest = self.produce_history()
        produced = UPDATES + len(DELETED) + 60

        # Compacted: exactly the newest record of every key survives, at the
        # offset it was written at (offsets never change; one partition,
        # produced in order: offset = index). Tombstones are included while
        # delete.retention.ms has not passed. Rounds may first clean only
        # part of the log, so wait for the fully compacted form.
        with_tombstones = sorted(self.newest_offset.values())
        without_tombstones = sorted(o for k, o in self.newest_offset.items()
                                    if newest[k] is not None)
        records = self.wait_for(
            lambda r: [o for o, _, _ in r] in (with_tombstones, without_tombstones),
            "full compaction")
        read_at = time.monotonic()
        self.assertLess(len(records), produced // 20)
        state = self.latest(records)
        tombstones_must_remain = (read_at - self.tombstones_sent_at) * 1000 < DELETE_RETENTION_MS
        for key, value in newest.items():
            if value is not None:
                self.assertEqual(state.get(key), value, key)
            elif tombstones_must_remain:
                # A tombstone younger than delete.retention.ms is still served.
                self.assertIn(key, state, "tombstone of %s vanished early" % key)
                self.assertIsNone(state[key], key)
            else:
                self.assertIsNone(state.get(key), key)

        # After delete.retention.ms the tombstones themselves go.
        records = self.wait_for(
            lambda r: not any(k in DELETED for _, k, _ in r), "tombstone removal")
        state = self.latest(records)
        self.assertEqual(state, {k: v for k, v in newest.items() if v is not None})

        # kafka-python (a second client implementation) reads the same state
        # across the offset gaps.
        consumer = KafkaConsumer(bootstrap_servers=self.broker.bootstrap,
                                 enable_auto_commit=False, consumer_timeout_ms=3000)
        tp = KpTopicPartition(TOPIC, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        seen = {}
        for msg in consumer:
            seen[msg.key.decode()] = msg.value
        consumer.close()
        self.assertEqual(seen, state)

        # The compacted log survives a kill -9 and a restart on the same data.
        self.broker.kill()
        self.broker.start()
        self.assertEqual(self.read_all_confluent(), records)

    def test_records_without_a_key_are_refused(self):
        errors = self.produce([(None, b"no key")])
        self.assertEqual(len(errors), 1, errors)
        self.assertEqual(errors[0].code(), KafkaError.INVALID_RECORD, errors[0])
        self.assertEqual(self.produce([(b"k", b"keyed")]), [])


if __name__ == "__main__":
    unittest.main()
