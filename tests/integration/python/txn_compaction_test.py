"""Compaction of transactional data seen through librdkafka against a real keel broker.

A transactional producer writes many updates to few keys of a compacted topic
with small segments, committing some transactions and aborting others; plain
filler rolls them into closed segments. The broker's cleaner (woken every
200 ms here) must then:
  - leave a read_committed consumer exactly the newest committed value of
    every key (aborted values never shadow committed ones);
  - remove the aborted records themselves (a read_uncommitted consumer no
    longer sees any) and shrink the partition's segment files;
  - keep that state across a kill -9 and restart of the broker, with the
    transactional producer still able to commit afterwards.
A second test commits a group's offsets inside transactions
(send_offsets_to_transaction, some aborted) to a __consumer_offsets with small
segments: it must shrink, and the group's committed offset must be the last
committed one, before and after a kill -9.
Every wait is bounded and fails with the state seen and the broker log tail.
"""

import glob
import os
import random
import time
import unittest

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from keel_broker import BrokerTestCase

TOPIC = "txn-state"
KEYS = 10
TRANSACTIONS = 45
TIMEOUT_S = 60


class TxnCompactionTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {
        "auto.create.topics.enable": "false",
        "log.cleaner.backoff.ms": "200",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.num.partitions": "1",
    }

    def setUp(self):
        super().setUp()
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        topic = NewTopic(TOPIC, num_partitions=1, replication_factor=1, config={
            "cleanup.policy": "compact",
            "segment.bytes": "16384",
            "delete.retention.ms": "2000",
            "min.cleanable.dirty.ratio": "0.01",
        })
        for future in admin.create_topics([topic], operation_timeout=10).values():
            future.result(timeout=TIMEOUT_S)

    def segment_bytes(self):
        return sum(os.path.getsize(p) for p in
                   glob.glob(os.path.join(self.broker.data_dir, TOPIC + "-0", "*.log")))

    def read_all(self, isolation):
        """{key: newest value} and the record count from offset 0 to the end."""
        consumer = Consumer({"bootstrap.servers": self.broker.bootstrap,
                             "group.id": "reader-%d" % random.randrange(1 << 30),
                             "isolation.level": isolation,
                             "enable.auto.commit": False, "enable.partition.eof": True})
        try:
            consumer.assign([TopicPartition(TOPIC, 0, 0)])
            state, count = {}, 0
            deadline = time.monotonic() + TIMEOUT_S
            while time.monotonic() < deadline:
                msg = consumer.poll(0.2)
                if msg is None:
                    continue
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        return state, count
                    self.fail("consumer error %s\n%s" % (msg.error(), self.broker.log_tail()))
                state[msg.key().decode()] = msg.value()
                count += 1
            self.fail("did not reach the end (%s)\n%s" % (isolation, self.broker.log_tail()))
        finally:
            consumer.close()

    def producer(self):
        p = Producer({"bootstrap.servers": self.broker.bootstrap,
                      "transactional.id": "txn-compaction", "linger.ms": 5})
        p.init_transactions(30)
        return p

    def test_committed_values_survive_and_aborted_records_go(self):
        p = self.producer()
        committed = {}
        aborted_values = set()
        for t in range(TRANSACTIONS):
            commit = t % 3 != 1
            p.begin_transaction()
            for i in range(20):
                key = "key-%02d" % ((t * 7 + i) % KEYS)
                value = ("%s:%d:%d:%s:" % (key, t, i, "c" if commit else "a")).encode() + b"x" * 150
                p.produce(TOPIC, key=key.encode(), value=value)
                if commit:
                    committed[key] = value
                else:
                    aborted_values.add(value)
            if commit:
                p.commit_transaction(30)
            else:
                p.flush(30)  # the aborted records are really written first
                p.abort_transaction(30)
        # Filler from a plain producer rolls the transactions into closed
        # segments (the active segment is never cleaned).
        plain = Producer({"bootstrap.servers": self.broker.bootstrap, "linger.ms": 5})
        for i in range(80):
            key = "filler-%03d" % i
            value = b"f" * 400
            plain.produce(TOPIC, key=key.encode(), value=value)
            committed[key] = value
        self.assertEqual(plain.flush(30), 0)

        # The cleaner may already be at work: compare with what was produced.
        produced = TRANSACTIONS * 20 + 80
        produced_bytes = sum(len(v) for v in aborted_values) + sum(
            len(k) + len(v) for k, v in committed.items()) + TRANSACTIONS * 20 * 150
        state, _ = self.read_all("read_committed")
        self.assertEqual(state, committed)

        # Wait until the aborted records are gone from the log itself.
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            everything, count = self.read_all("read_uncommitted")
            if count < produced // 4 and not any(v in aborted_values for v in everything.values()):
                break
            if time.monotonic() > deadline:
                self.fail("not compacted: %d of %d records remain\n%s"
                          % (count, produced, self.broker.log_tail()))
            time.sleep(0.3)
        self.assertLess(self.segment_bytes(), produced_bytes // 2)
        state, _ = self.read_all("read_committed")
        self.assertEqual(state, committed)

        # Restart hard: same view, and the producer's transactional state is
        # usable (no phantom open transaction holding the LSO).
        self.broker.kill()
        self.broker.start()
        state, _ = self.read_all("read_committed")
        self.assertEqual(state, committed)
        p = self.producer()
        p.begin_transaction()
        p.produce(TOPIC, key=b"key-00", value=b"after-restart")
        p.commit_transaction(30)
        committed["key-00"] = b"after-restart"
        state, _ = self.read_all("read_committed")
        self.assertEqual(state, committed)

    def test_transactional_offset_commits_compact_in_consumer_offsets(self):
        bs = self.broker.bootstrap
        admin = AdminClient({"bootstrap.servers": bs})
        for f in admin.create_topics([NewTopic("in", 1, 1)], operation_timeout=10).values():
            f.result(timeout=TIMEOUT_S)
        consumer = Consumer({"bootstrap.servers": bs, "group.id": "txn-group",
                             "enable.auto.commit": False})
        # A first plain commit creates __consumer_offsets; then give it small segments.
        consumer.commit(offsets=[TopicPartition("in", 0, 0)], asynchronous=False)
        offsets_dir = os.path.join(self.broker.data_dir, "__consumer_offsets-0")
        res = ConfigResource("TOPIC", "__consumer_offsets", set_config={
            "cleanup.policy": "compact", "segment.bytes": "16384",
            "delete.retention.ms": "2000", "min.cleanable.dirty.ratio": "0.01"})
        for f in admin.alter_configs([res]).values():
            f.result(timeout=TIMEOUT_S)

        p = self.producer()
        meta = consumer.consumer_group_metadata()
        last_committed = 0
        for t in range(1, 301):
            p.begin_transaction()
            p.send_offsets_to_transaction([TopicPartition("in", 0, t)], meta, 30)
            if t % 4 == 3:
                p.abort_transaction(30)
            else:
                p.commit_transaction(30)
                last_committed = t

        def committed_offset(c):
            return c.committed([TopicPartition("in", 0)], timeout=30)[0].offset

        def closed_segment_bytes():
            # Every segment but the active (newest) one, which is never cleaned.
            files = sorted(glob.glob(os.path.join(offsets_dir, "*.log")))
            return sum(os.path.getsize(f) for f in files[:-1]), len(files)

        self.assertEqual(committed_offset(consumer), last_committed)
        # 300 transactions wrote an offset record and a marker each (> 45 KB,
        # several 16 KB segments). Once compacted and past delete.retention.ms,
        # the closed segments hold almost nothing: the aborted commits, the
        # superseded ones and their markers are gone.
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            closed, files = closed_segment_bytes()
            if files >= 2 and closed < 1024:
                break
            if time.monotonic() > deadline:
                self.fail("__consumer_offsets not compacted: %d bytes in %d closed segments\n%s"
                          % (closed, files - 1, self.broker.log_tail()))
            time.sleep(0.3)
        self.assertEqual(committed_offset(consumer), last_committed)
        consumer.close()

        self.broker.kill()
        self.broker.start()
        consumer = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": "txn-group",
                             "enable.auto.commit": False})
        try:
            self.assertEqual(committed_offset(consumer), last_committed)
        finally:
            consumer.close()


if __name__ == "__main__":
    unittest.main()
