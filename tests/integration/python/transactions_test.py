"""Transactions against a real keel broker with confluent-kafka (librdkafka).

- Committed transactions are visible to read_committed consumers, aborted ones
  only to read_uncommitted consumers; an open transaction holds read_committed
  readers at its first offset (the last stable offset).
- A second producer with the same transactional.id fences the first.
- Consume-transform-produce (txn_worker.py) killed with SIGKILL at random
  moments, and separately with the broker killed with SIGKILL under it: the
  output read with read_committed holds every input exactly once and the
  group's committed offsets equal the end of the input.
KEEL_TXN_KILLS (default 4) sets the number of kills per scenario.
"""

import os
import random
import subprocess
import sys
import time
import unittest

from confluent_kafka import (Consumer, KafkaError, KafkaException, Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic

from keel_broker import BrokerTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
KILLS = int(os.environ.get("KEEL_TXN_KILLS", "4"))
SEED = int(os.environ.get("KEEL_TXN_SEED", str(int(time.time()))))


def create_topics(bootstrap, topics):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(t, p, 1) for t, p in topics])
    for f in futures.values():
        f.result(30)


def read_all(bootstrap, topic, partitions, isolation, timeout=30):
    """Every record of `topic` from the beginning up to the partition ends
    the consumer sees (EOF on each), as (partition, offset, key, value)."""
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "reader-%d" % random.randrange(1 << 30),
        "isolation.level": isolation,
        "enable.auto.commit": False,
        "enable.partition.eof": True,
    })
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out, eof = [], set()
    deadline = time.monotonic() + timeout
    while len(eof) < partitions and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error() is not None:
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof.add(m.partition())
                continue
            raise AssertionError("consume error: %s" % m.error())
        out.append((m.partition(), m.offset(), m.key(), m.value()))
    c.close()
    if len(eof) < partitions:
        raise AssertionError("did not reach the end of %s (%s)" % (topic, isolation))
    return out


def txn_producer(bootstrap, txn_id, **extra):
    conf = {"bootstrap.servers": bootstrap, "transactional.id": txn_id, "linger.ms": 5}
    conf.update(extra)
    p = Producer(conf)
    p.init_transactions(30)
    return p


class VisibilityTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"auto.create.topics.enable": "false"}

    def test_commit_is_visible_and_abort_is_not_to_read_committed(self):
        bs = self.broker.bootstrap
        create_topics(bs, [("t", 2)])
        p = txn_producer(bs, "vis")
        for label, n, commit in (("c1", 10, True), ("a1", 7, False), ("c2", 5, True)):
            p.begin_transaction()
            for i in range(n):
                p.produce("t", key=b"k%d" % (i % 4), value=("%s-%d" % (label, i)).encode(),
                          partition=i % 2)
            if commit:
                p.commit_transaction(30)
            else:
                p.flush(30)  # the aborted records are really written first
                p.abort_transaction(30)
        committed = read_all(bs, "t", 2, "read_committed")
        values = sorted(v.decode() for _, _, _, v in committed)
        self.assertEqual(values, sorted(["c1-%d" % i for i in range(10)] +
                                        ["c2-%d" % i for i in range(5)]))
        everything = read_all(bs, "t", 2, "read_uncommitted")
        self.assertEqual(len(everything), 22)
        self.assertEqual(sum(1 for *_, v in everything if v.startswith(b"a1-")), 7)
        # Per partition, read_committed order is produce order.
        for part in range(2):
            got = [v.decode() for pp, _, _, v in committed if pp == part]
            want = [v for v in ["c1-%d" % i for i in range(10)] + ["c2-%d" % i for i in range(5)]
                    if int(v.split("-")[1]) % 2 == part]
            self.assertEqual(got, want)

    def test_open_transaction_holds_read_committed_at_its_first_offset(self):
        bs = self.broker.bootstrap
        create_topics(bs, [("t", 1)])
        plain = Producer({"bootstrap.servers": bs, "enable.idempotence": True})
        plain.produce("t", value=b"before")
        plain.flush(30)
        p = txn_producer(bs, "open")
        p.begin_transaction()
        p.produce("t", value=b"in-txn")
        p.flush(30)
        plain.produce("t", value=b"after")  # not transactional, but behind the open txn
        plain.flush(30)
        self.assertEqual([v for *_, v in read_all(bs, "t", 1, "read_committed")], [b"before"])
        self.assertEqual([v for *_, v in read_all(bs, "t", 1, "read_uncommitted")],
                         [b"before", b"in-txn", b"after"])
        p.commit_transaction(30)
        self.assertEqual([v for *_, v in read_all(bs, "t", 1, "read_committed")],
                         [b"before", b"in-txn", b"after"])

    def test_second_producer_with_the_same_id_fences_the_first(self):
        bs = self.broker.bootstrap
        create_topics(bs, [("t", 1)])
        zombie = txn_producer(bs, "fence-me")
        zombie.begin_transaction()
        zombie.produce("t", value=b"zombie")
        zombie.flush(30)
        successor = txn_producer(bs, "fence-me")  # aborts the zombie's transaction
        successor.begin_transaction()
        successor.produce("t", value=b"successor")
        successor.commit_transaction(30)
        with self.assertRaises(KafkaException) as ctx:
            zombie.commit_transaction(30)
        err = ctx.exception.args[0]
        self.assertTrue(err.fatal() or err.code() in (KafkaError._FENCED, KafkaError.PRODUCER_FENCED,
                                                      KafkaError.INVALID_PRODUCER_EPOCH),
                        "zombie commit failed with %s" % err)
        self.assertEqual([v for *_, v in read_all(bs, "t", 1, "read_committed")], [b"successor"])


INPUT_PARTITIONS = 3
INPUT_RECORDS = 1500


class ExactlyOnceUnderKillsTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"auto.create.topics.enable": "false",
                       "group.initial.rebalance.delay.ms": "0",
                       "group.min.session.timeout.ms": "1000",
                       "transaction.abort.timed.out.transaction.cleanup.interval.ms": "1000"}

    def setUp(self):
        super().setUp()
        self.rng = random.Random(SEED)
        sys.stderr.write("%s: seed %d, %d kills\n" % (self.id(), SEED, KILLS))
        bs = self.broker.bootstrap
        create_topics(bs, [("in", INPUT_PARTITIONS), ("out", 2)])
        p = Producer({"bootstrap.servers": bs, "enable.idempotence": True, "linger.ms": 5})
        for i in range(INPUT_RECORDS):
            p.produce("in", key=b"k%d" % (i % 17), value=b"v%d" % i,
                      partition=i % INPUT_PARTITIONS)
        p.flush(60)

    def start_worker(self):
        log = open(os.path.join(self.broker.dir, "worker.log"), "ab")
        proc = subprocess.Popen([sys.executable, os.path.join(HERE, "txn_worker.py"),
                                 self.broker.bootstrap, str(INPUT_PARTITIONS)],
                                stdout=log, stderr=log)
        log.close()
        return proc

    def commits(self):
        """How many transactions workers have committed so far (their log)."""
        try:
            with open(os.path.join(self.broker.dir, "worker.log"), "rb") as f:
                return f.read().count(b"txn_worker: committed")
        except FileNotFoundError:
            return 0

    def wait_for_progress(self, worker, timeout=60):
        """Waits until `worker` commits a transaction (or exits)."""
        start, deadline = self.commits(), time.monotonic() + timeout
        while time.monotonic() < deadline and worker.poll() is None:
            if self.commits() > start:
                return
            time.sleep(0.05)

    def worker_log(self):
        try:
            with open(os.path.join(self.broker.dir, "worker.log"), "rb") as f:
                return f.read()[-6000:].decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def finish(self, timeout=150):
        """Runs workers (restarting fenced ones) until one exits 0."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            w = self.start_worker()
            try:
                rc = w.wait(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
                break
            if rc == 0:
                return
        self.fail("the worker did not finish:\n" + self.worker_log())

    def verify(self):
        bs = self.broker.bootstrap
        out = read_all(bs, "out", 2, "read_committed", timeout=60)
        seen = {}
        for part, off, _, value in out:
            seen.setdefault(value.decode(), []).append((part, off))
        duplicates = {k: v for k, v in seen.items() if len(v) > 1}
        want = {"%d:%d" % (i % INPUT_PARTITIONS, i // INPUT_PARTITIONS)
                for i in range(INPUT_RECORDS)}
        missing = want - set(seen)
        invented = set(seen) - want
        sys.stderr.write("%s: %d outputs, %d duplicates, %d missing, %d invented\n"
                         % (self.id(), len(out), len(duplicates), len(missing), len(invented)))
        self.assertEqual(duplicates, {})
        self.assertEqual(missing, set())
        self.assertEqual(invented, set())
        c = Consumer({"bootstrap.servers": bs, "group.id": "eos"})
        committed = c.committed([TopicPartition("in", p) for p in range(INPUT_PARTITIONS)], 20)
        c.close()
        self.assertEqual(sorted(tp.offset for tp in committed),
                         [INPUT_RECORDS // INPUT_PARTITIONS] * INPUT_PARTITIONS)

    def test_worker_killed_at_random_moments(self):
        for i in range(KILLS):
            w = self.start_worker()
            # Kill in the middle of the work: after some transaction committed,
            # at a random point of the next ones.
            self.wait_for_progress(w)
            time.sleep(self.rng.uniform(0.0, 0.6))
            if w.poll() is not None:
                break  # finished before the kill
            w.kill()
            w.wait()
        self.finish()
        sys.stderr.write("%s: %d transactions committed in all\n" % (self.id(), self.commits()))
        self.verify()

    def test_broker_killed_at_random_moments(self):
        w = self.start_worker()
        try:
            for i in range(KILLS):
                self.wait_for_progress(w)
                time.sleep(self.rng.uniform(0.0, 0.6))
                if w.poll() is not None:
                    break
                self.broker.kill()
                self.broker.start()  # same port, same data dir
            rc = None
            try:
                rc = w.wait(timeout=120)
            except subprocess.TimeoutExpired:
                pass
        finally:
            if w.poll() is None:
                w.kill()
                w.wait()
        if rc != 0:
            self.finish()  # a fenced or stuck worker: a new instance completes the work
        self.verify()


if __name__ == "__main__":
    unittest.main()
