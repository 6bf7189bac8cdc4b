"""Consumer groups through kafka-python (python3-kafka) against a real keel
broker: three members split a topic with the range and the roundrobin
assignor, one leaves and the other two take over without losing a record;
and a group resumes exactly after its last synchronous commit.

KafkaConsumer is not thread-safe and rejoins a group only inside poll(), so
each group member runs in its own thread, which alone touches its consumer;
the test thread reads the snapshots the member publishes. Every wait is
bounded and fails with the members' state and the broker's log tail.
"""

import threading
import time
import unittest

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.errors import KafkaError

from keel_broker import BrokerTestCase

TIMEOUT_S = 30
SETTLE_S = 40  # longest wait for a group to settle (joins, a leave, a rebalance)


def consumer_config(bootstrap, group, **extra):
    conf = dict(bootstrap_servers=bootstrap, group_id=group, client_id="keel-group-test",
                session_timeout_ms=6000, heartbeat_interval_ms=500,
                auto_offset_reset="earliest", enable_auto_commit=False)
    conf.update(extra)
    return conf


class MemberThread(threading.Thread):
    """One subscribed KafkaConsumer driven by its own thread.

    The thread polls, commits synchronously after each non-empty poll,
    records every record as (partition, offset, value), and publishes its
    assignment after each poll. stop() makes it close the consumer (which
    sends LeaveGroup) and waits for it."""

    def __init__(self, name, conf, topic):
        super().__init__(name=name, daemon=True)
        self.conf = conf
        self.topic = topic
        self.records = []
        self.errors = []
        self.assigned_calls = []
        self.revoked_calls = []
        self.assignment = frozenset()
        self.closed = threading.Event()
        self._stop_requested = threading.Event()

    def run(self):
        member = self

        class Listener(ConsumerRebalanceListener):
            def on_partitions_revoked(self, revoked):
                member.revoked_calls.append(sorted(tp.partition for tp in revoked))

            def on_partitions_assigned(self, assigned):
                member.assigned_calls.append(sorted(tp.partition for tp in assigned))

        consumer = None
        try:
            consumer = KafkaConsumer(**self.conf)
            consumer.subscribe([self.topic], listener=Listener())
            while not self._stop_requested.is_set():
                batch = consumer.poll(timeout_ms=100)
                got = [(r.partition, r.offset, r.value) for rs in batch.values() for r in rs]
                if got:
                    # Commit before publishing, so a record the test sees is
                    # committed (or its commit failure is in errors).
                    try:
                        consumer.commit()
                    except KafkaError as e:
                        self.errors.append("commit: %r" % e)
                self.records.extend(got)
                self.assignment = frozenset(tp.partition for tp in consumer.assignment())
        except Exception as e:  # reported by the test through describe()
            self.errors.append("thread died: %r" % e)
        finally:
            self.assignment = frozenset()
            if consumer is not None:
                try:
                    consumer.close()
                except Exception as e:
                    self.errors.append("close: %r" % e)
            self.closed.set()

    def stop(self):
        self._stop_requested.set()
        self.join(TIMEOUT_S)

    def describe(self):
        return ("%s: alive=%s assignment=%s records=%d assign_cb=%s revoke_cb=%s errors=%s"
                % (self.name, self.is_alive(), sorted(self.assignment), len(self.records),
                   self.assigned_calls, self.revoked_calls, self.errors[-5:]))


def split_of(members, partitions):
    """The members' assignments if they are disjoint and cover `partitions`
    exactly, else None."""
    sets = [m.assignment for m in members]
    union = frozenset().union(*sets)
    if sum(len(s) for s in sets) != len(union) or union != frozenset(partitions):
        return None
    return sets


def owners_at_end(members, ends):
    """True when each partition has exactly one owner among `members` and that
    owner has read the partition's last record (offset ends[p] - 1)."""
    for p, end in ends.items():
        owners = [m for m in members if p in m.assignment]
        if len(owners) != 1:
            return False
        if end and not any(q == p and o == end - 1 for (q, o, _) in list(owners[0].records)):
            return False
    return True


class KafkaPythonGroupTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"auto.create.topics.enable": "false",
                       "group.initial.rebalance.delay.ms": "0",
                       "offsets.topic.num.partitions": "5"}

    def create_topic(self, name, partitions):
        admin = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap,
                                 client_id="keel-group-test", request_timeout_ms=15000)
        try:
            admin.create_topics([NewTopic(name, num_partitions=partitions,
                                          replication_factor=1)], timeout_ms=15000)
        finally:
            admin.close()

    def produce(self, topic, partitions, per_partition, tag):
        """Produces `per_partition` records to each partition, values
        '<tag>-p<partition>-<i>'; returns {(partition, offset): value}."""
        producer = KafkaProducer(bootstrap_servers=self.broker.bootstrap, acks="all",
                                 linger_ms=5, client_id="keel-group-test")
        try:
            futures = []
            for i in range(per_partition):
                for p in partitions:
                    value = ("%s-p%d-%d" % (tag, p, i)).encode()
                    futures.append((value, producer.send(topic, value=value, partition=p)))
            producer.flush(timeout=TIMEOUT_S)
            out = {}
            for value, f in futures:
                md = f.get(timeout=TIMEOUT_S)
                out[(md.partition, md.offset)] = value
        finally:
            producer.close()
        self.assertEqual(len(out), per_partition * len(partitions))
        return out

    def start_member(self, name, group, topic, **extra):
        m = MemberThread(name, consumer_config(self.broker.bootstrap, group, **extra), topic)
        m.start()
        self.addCleanup(m.stop)
        return m

    def wait_until(self, what, members, cond, timeout=SETTLE_S):
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                self.fail("%s: not reached within %d s\n%s\n---- keel log tail ----\n%s"
                          % (what, timeout, "\n".join(m.describe() for m in members),
                             self.broker.log_tail()))
            time.sleep(0.05)

    def wait_consumed(self, members, want, what):
        want = set(want)
        self.wait_until(what, members,
                        lambda: want <= {v for m in members for (_, _, v) in list(m.records)})

    # ---- three members split, one leaves ---------------------------------

    def split_then_leave(self, assignor, want_three, want_two):
        topic = "kp-split-" + assignor.name
        group = "kp-g-split-" + assignor.name
        parts = range(6)
        self.create_topic(topic, 6)
        # Consumed while the members join: a commit racing a rebalance may be
        # refused and its records read again by the next owner (at least once).
        before = self.produce(topic, parts, 4, "before")

        members = [self.start_member("c%d" % i, group, topic,
                                     partition_assignment_strategy=[assignor])
                   for i in range(3)]

        def three_way():
            sets = split_of(members, parts)
            return sets is not None and set(sets) == want_three

        self.wait_until("3-way %s split of 6 partitions" % assignor.name, members, three_way)
        settled_errors = [len(m.errors) for m in members]
        owner = {p: m for m in members for p in m.assignment}

        # From here on the group only changes when the test says so, and every
        # record is produced and fully read between two membership changes, so
        # each one is read exactly once.
        during = self.produce(topic, parts, 4, "during")
        self.wait_until("the owners read (and committed) every partition to its end", members,
                        lambda: owners_at_end(members, {p: 8 for p in parts}))
        self.assertTrue(three_way(), "assignment changed without a membership change:\n"
                        + "\n".join(m.describe() for m in members))
        for (p, _), value in during.items():
            self.assertIn(value, [v for (_, _, v) in owner[p].records],
                          "%r not consumed by the owner of partition %d" % (value, p))

        leaver, survivors = members[0], members[1:]
        leaver.stop()
        self.assertTrue(leaver.closed.is_set(), leaver.describe())

        def two_way():
            sets = split_of(survivors, parts)
            return sets is not None and set(sets) == want_two

        self.wait_until("survivors take over all 6 partitions (%s)" % assignor.name, survivors,
                        two_way)

        after = self.produce(topic, parts, 4, "after")
        self.wait_until("the new owners read every partition to its end", survivors,
                        lambda: owners_at_end(survivors, {p: 12 for p in parts}))
        self.assertTrue(two_way(), "\n".join(m.describe() for m in survivors))
        owner = {p: m for m in survivors for p in m.assignment}
        for (p, _), value in after.items():
            self.assertIn(value, [v for (_, _, v) in owner[p].records],
                          "%r not consumed by the new owner of partition %d" % (value, p))

        # No loss, nothing invented.
        everything = list(before.values()) + list(during.values()) + list(after.values())
        consumed = [v for m in members for (_, _, v) in m.records]
        self.assertEqual(set(consumed), set(everything))
        # Records produced while the group was stable were each read once: each
        # poll's records were committed synchronously before the next poll, and
        # a partition moved (clean leave) only after its owner had read it all.
        once = set(during.values()) | set(after.values())
        dups = sorted(v for v in once if consumed.count(v) > 1)
        self.assertEqual(dups, [], "records consumed twice:\n"
                         + "\n".join(m.describe() for m in members))
        for m, n in zip(members, settled_errors):
            self.assertEqual(m.errors[n:], [], m.describe())

    def test_range_three_members_split_then_one_leaves(self):
        self.split_then_leave(
            RangePartitionAssignor,
            {frozenset({0, 1}), frozenset({2, 3}), frozenset({4, 5})},
            {frozenset({0, 1, 2}), frozenset({3, 4, 5})})

    def test_roundrobin_three_members_split_then_one_leaves(self):
        self.split_then_leave(
            RoundRobinPartitionAssignor,
            {frozenset({0, 3}), frozenset({1, 4}), frozenset({2, 5})},
            {frozenset({0, 2, 4}), frozenset({1, 3, 5})})

    # ---- resume after a synchronous commit ------------------------------------

    def test_restarted_group_resumes_exactly_after_its_commit(self):
        topic, group, parts = "kp-resume", "kp-g-resume", range(3)
        self.create_topic(topic, 3)
        first = self.produce(topic, parts, 10, "first")

        # One consumer, polled from this thread only: take 17 of the 30
        # records one at a time, commit synchronously, close.
        c1 = KafkaConsumer(**consumer_config(self.broker.bootstrap, group))
        self.addCleanup(c1.close)
        c1.subscribe([topic])
        taken = []
        deadline = time.monotonic() + SETTLE_S
        while len(taken) < 17:
            if time.monotonic() > deadline:
                self.fail("took %d of 17 records\n%s" % (len(taken), self.broker.log_tail()))
            for rs in c1.poll(timeout_ms=200, max_records=1).values():
                taken.extend((r.partition, r.offset, r.value) for r in rs)
        self.assertEqual(len(taken), 17)
        c1.commit()
        want = {}
        for p, o, _ in taken:
            want[p] = max(want.get(p, -1), o + 1)
        # kafka-python commits the position of every assigned partition, so
        # one it took nothing from is committed at 0.
        self.assertEqual({p: c1.committed(TopicPartition(topic, p)) for p in parts},
                         {p: want.get(p, 0) for p in parts})
        c1.close()

        second = self.produce(topic, parts, 5, "second")
        m2 = self.start_member("m2", group, topic)
        rest = (set(first.values()) - {v for (_, _, v) in taken}) | set(second.values())
        self.wait_consumed([m2], rest, "m2 consumed the records after the commit")
        got = [v for (_, _, v) in m2.records]
        self.assertEqual(sorted(got), sorted(rest))  # exactly the rest: no loss, no duplicate
        for p in parts:
            offs = [o for (q, o, _) in m2.records if q == p]
            self.assertEqual(offs, list(range(want.get(p, 0), 15)), "partition %d" % p)
        self.assertEqual(m2.errors, [], m2.describe())


if __name__ == "__main__":
    unittest.main()
