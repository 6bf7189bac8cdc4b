"""Consumer groups through confluent-kafka (librdkafka) against a real keel
broker: the classic rebalance protocol with each assignor, clean leave,
crash (session timeout), resume after a synchronous commit, independent
groups, committed offsets across broker restarts (SIGTERM and kill -9), and
static membership.

Every consumer polls from the test's thread (round-robin) except the crashing
one, which runs in a child process so that SIGKILL leaves no LeaveGroup.
Assertions are on exact assignments, record sets and offsets; every wait is
bounded and fails with the state seen and the broker's log tail.
"""

import ctypes
import json
import queue
import signal
import subprocess
import sys
import threading
import time
import unittest

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from keel_broker import BrokerTestCase

TIMEOUT_S = 30
# Longest wait for a group to settle: covers one session timeout (6 s) plus
# the rejoin of every member, with a wide margin for a loaded CI machine.
SETTLE_S = 40
SESSION_TIMEOUT_MS = 6000  # the broker's group.min.session.timeout.ms
POLL_S = 0.05


def _die_with_parent():
    # PR_SET_PDEATHSIG(SIGKILL): a child consumer dies with the test.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


class Member:
    """One subscribed consumer, polled by the test thread.

    Records every message as (partition, offset, value), counts rebalance
    callbacks, and optionally commits each message synchronously before the
    next poll (so a partition that moves resumes exactly after it)."""

    def __init__(self, name, conf, topic, commit_each=False):
        self.name = name
        self.commit_each = commit_each
        self.records = []
        self.errors = []
        self.assigned_calls = []
        self.revoked_calls = []
        self.lost_calls = []
        self.consumer = Consumer(conf)
        self.closed = False
        self.consumer.subscribe([topic], on_assign=self._on_assign,
                                on_revoke=self._on_revoke, on_lost=self._on_lost)

    def _on_assign(self, consumer, partitions):
        self.assigned_calls.append(sorted(tp.partition for tp in partitions))

    def _on_revoke(self, consumer, partitions):
        self.revoked_calls.append(sorted(tp.partition for tp in partitions))

    def _on_lost(self, consumer, partitions):
        self.lost_calls.append(sorted(tp.partition for tp in partitions))

    def poll_once(self, timeout=POLL_S):
        if self.closed:
            return
        msg = self.consumer.poll(timeout)
        if msg is None:
            return
        if msg.error() is not None:
            self.errors.append(str(msg.error()))
            return
        self.records.append((msg.partition(), msg.offset(), msg.value()))
        if self.commit_each:
            try:
                self.consumer.commit(message=msg, asynchronous=False)
            except KafkaException as e:
                self.errors.append("commit of %d@%d: %s" % (msg.partition(), msg.offset(), e))

    def partitions(self):
        if self.closed:
            return frozenset()
        return frozenset(tp.partition for tp in self.consumer.assignment())

    def close(self):
        if not self.closed:
            self.closed = True
            self.consumer.close()

    def describe(self):
        return ("%s: assignment=%s records=%d assign_cb=%s revoke_cb=%s lost_cb=%s errors=%s"
                % (self.name, sorted(self.partitions()), len(self.records), self.assigned_calls,
                   self.revoked_calls, self.lost_calls, self.errors[-5:]))


def split_of(members, partitions):
    """The members' assignments if they are disjoint and cover `partitions`
    exactly, else None."""
    sets = [m.partitions() for m in members]
    union = frozenset().union(*sets)
    if sum(len(s) for s in sets) != len(union) or union != frozenset(partitions):
        return None
    return sets


def owners_at_end(members, ends):
    """True when each partition has exactly one owner among `members` and that
    owner has read the partition's last record (offset ends[p] - 1)."""
    for p, end in ends.items():
        owners = [m for m in members if p in m.partitions()]
        if len(owners) != 1:
            return False
        if end and not any(q == p and o == end - 1 for (q, o, _) in owners[0].records):
            return False
    return True


# Child process for the crash test: one consumer that reports its assignment
# and every message it has committed (synchronously) as JSON lines on stdout,
# until it is killed.
CRASHING_CONSUMER = r"""
import json, sys
from confluent_kafka import Consumer
bootstrap, group, topic, session_ms = sys.argv[1:5]
def say(**kv):
    sys.stdout.write(json.dumps(kv) + "\n")
    sys.stdout.flush()
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
              "session.timeout.ms": int(session_ms), "heartbeat.interval.ms": 500,
              "partition.assignment.strategy": "range", "auto.offset.reset": "earliest",
              "enable.auto.commit": False, "enable.partition.eof": False})
def on_assign(consumer, parts):
    say(assigned=sorted(tp.partition for tp in parts))
def on_revoke(consumer, parts):
    say(revoked=sorted(tp.partition for tp in parts))
c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
say(started=True)
while True:
    m = c.poll(0.1)
    if m is None:
        continue
    if m.error() is not None:
        say(error=str(m.error()))
        continue
    c.commit(message=m, asynchronous=False)
    say(committed=[m.partition(), m.offset(), m.value().decode()])
"""


class ConfluentKafkaGroupTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"auto.create.topics.enable": "false",
                       "group.initial.rebalance.delay.ms": "0",
                       "offsets.topic.num.partitions": "5"}

    # ---- helpers -------------------------------------------------------

    def create_topic(self, name, partitions):
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        futures = admin.create_topics([NewTopic(name, num_partitions=partitions,
                                                replication_factor=1)], request_timeout=15)
        futures[name].result(timeout=TIMEOUT_S)

    def produce(self, topic, partitions, per_partition, tag):
        """Produces `per_partition` records to each partition, values
        '<tag>-p<partition>-<i>'; returns {(partition, offset): value}."""
        producer = Producer({"bootstrap.servers": self.broker.bootstrap, "acks": "all",
                             "linger.ms": 5})
        out = {}
        errors = []

        def report(err, msg):
            if err is not None:
                errors.append(err)
            else:
                out[(msg.partition(), msg.offset())] = msg.value()

        for i in range(per_partition):
            for p in partitions:
                producer.produce(topic, value=("%s-p%d-%d" % (tag, p, i)).encode(), partition=p,
                                 on_delivery=report)
        self.assertEqual(producer.flush(TIMEOUT_S), 0, "undelivered records")
        self.assertEqual(errors, [])
        self.assertEqual(len(out), per_partition * len(partitions))
        return out

    def consumer_conf(self, group, **extra):
        conf = {"bootstrap.servers": self.broker.bootstrap, "group.id": group,
                "session.timeout.ms": SESSION_TIMEOUT_MS, "heartbeat.interval.ms": 500,
                "auto.offset.reset": "earliest", "enable.auto.commit": False,
                "enable.partition.eof": False}
        conf.update(extra)
        return conf

    def member(self, name, group, topic, commit_each=False, **extra):
        m = Member(name, self.consumer_conf(group, **extra), topic, commit_each)
        self.addCleanup(m.close)
        return m

    def fail_with_state(self, what, timeout, state):
        self.fail("%s: not reached within %d s\n%s\n---- keel log tail ----\n%s"
                  % (what, timeout, state, self.broker.log_tail()))

    def poll_until(self, what, members, cond, timeout=SETTLE_S):
        """Polls `members` round-robin until cond() holds; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                self.fail_with_state(what, timeout,
                                     "\n".join(m.describe() for m in members))
            for m in members:
                m.poll_once()

    def poll_for(self, members, seconds):
        """Keeps `members` polling for a fixed window (to observe that nothing
        happens); asserts nothing itself."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for m in members:
                m.poll_once()

    def consumed_values(self, members):
        return [v for m in members for (_, _, v) in m.records]

    def wait_consumed(self, members, want, what):
        want = set(want)
        self.poll_until(what, members,
                        lambda: want <= set(self.consumed_values(members)))

    def committed(self, group, topic, partitions):
        c = Consumer(self.consumer_conf(group))
        try:
            got = c.committed([TopicPartition(topic, p) for p in partitions], timeout=TIMEOUT_S)
        finally:
            c.close()
        for tp in got:
            self.assertIsNone(tp.error, "committed() error for %s/%d" % (topic, tp.partition))
        return {tp.partition: tp.offset for tp in got}

    # ---- three members split, one leaves ---------------------------------

    def split_then_leave(self, strategy, want_three, want_two):
        topic = "split-" + strategy
        group = "g-split-" + strategy
        parts = range(6)
        self.create_topic(topic, 6)
        # Consumed while the members join: a commit racing a rebalance may be
        # refused and its records read again by the next owner (at least once).
        before = self.produce(topic, parts, 4, "before")

        members = [self.member("c%d" % i, group, topic, commit_each=True,
                               **{"partition.assignment.strategy": strategy})
                   for i in range(3)]

        def three_way():
            sets = split_of(members, parts)
            if sets is None or any(len(s) != 2 for s in sets):
                return False
            return want_three is None or set(sets) == want_three

        self.poll_until("3-way %s split of 6 partitions" % strategy, members, three_way)
        settled_errors = [len(m.errors) for m in members]
        owner = {p: m for m in members for p in m.partitions()}

        # From here on the group only changes when the test says so, and every
        # record is produced and fully read between two membership changes, so
        # each one is read exactly once.
        during = self.produce(topic, parts, 4, "during")
        ends = {p: 8 for p in parts}
        self.poll_until("the owners read (and committed) every partition to its end", members,
                        lambda: owners_at_end(members, ends))
        self.assertTrue(three_way(), "assignment changed without a membership change:\n"
                        + "\n".join(m.describe() for m in members))
        for (p, _), value in during.items():
            self.assertIn(value, [v for (_, _, v) in owner[p].records],
                          "%r not consumed by the owner of partition %d" % (value, p))

        leaver, survivors = members[0], members[1:]
        kept = [m.partitions() for m in survivors]
        revokes_before = [len(m.revoked_calls) for m in survivors]
        leaver.close()

        def two_way():
            sets = split_of(survivors, parts)
            if sets is None or any(len(s) != 3 for s in sets):
                return False
            return want_two is None or set(sets) == want_two

        self.poll_until("survivors take over all 6 partitions (%s)" % strategy, survivors,
                        two_way)
        if strategy == "cooperative-sticky":
            # Sticky: each survivor keeps what it had and only gains.
            for m, old in zip(survivors, kept):
                self.assertLessEqual(old, m.partitions(), m.describe())
            for m, n in zip(survivors, revokes_before):
                self.assertEqual([r for r in m.revoked_calls[n:] if r], [],
                                 "cooperative survivor had partitions revoked: " + m.describe())

        after = self.produce(topic, parts, 4, "after")
        ends = {p: 12 for p in parts}
        self.poll_until("the new owners read every partition to its end", survivors,
                        lambda: owners_at_end(survivors, ends))
        self.assertTrue(two_way(), "\n".join(m.describe() for m in survivors))
        owner = {p: m for m in survivors for p in m.partitions()}
        for (p, _), value in after.items():
            self.assertIn(value, [v for (_, _, v) in owner[p].records],
                          "%r not consumed by the new owner of partition %d" % (value, p))

        # No loss, nothing invented.
        everything = list(before.values()) + list(during.values()) + list(after.values())
        consumed = self.consumed_values(members)
        self.assertEqual(set(consumed), set(everything))
        # Records produced while the group was stable were each read once: every
        # record was committed synchronously before the next poll, and a
        # partition moved (clean leave) only after its owner had read it all.
        once = set(during.values()) | set(after.values())
        dups = sorted(v for v in once if consumed.count(v) > 1)
        self.assertEqual(dups, [], "records consumed twice:\n"
                         + "\n".join(m.describe() for m in members))
        for m, n in zip(members, settled_errors):
            self.assertEqual(m.errors[n:], [], m.describe())
            # Each member read them in offset order.
            for p in parts:
                offs = [o for (q, o, v) in m.records if q == p and v in once]
                self.assertEqual(offs, sorted(offs), "%s partition %d" % (m.name, p))

    def test_range_three_members_split_then_one_leaves(self):
        self.split_then_leave(
            "range",
            {frozenset({0, 1}), frozenset({2, 3}), frozenset({4, 5})},
            {frozenset({0, 1, 2}), frozenset({3, 4, 5})})

    def test_roundrobin_three_members_split_then_one_leaves(self):
        self.split_then_leave(
            "roundrobin",
            {frozenset({0, 3}), frozenset({1, 4}), frozenset({2, 5})},
            {frozenset({0, 2, 4}), frozenset({1, 3, 5})})

    def test_cooperative_sticky_three_members_split_then_one_leaves(self):
        self.split_then_leave("cooperative-sticky", None, None)

    # ---- crash: session timeout moves the partitions -------------------------

    def test_killed_member_partitions_move_to_survivor_after_session_timeout(self):
        topic, group, parts = "crash", "g-crash", range(4)
        self.create_topic(topic, 4)

        child = subprocess.Popen(
            [sys.executable, "-c", CRASHING_CONSUMER, self.broker.bootstrap, group, topic,
             str(SESSION_TIMEOUT_MS)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent)
        self.addCleanup(child.stdout.close)
        self.addCleanup(child.wait)
        self.addCleanup(child.kill)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in child.stdout],
                         daemon=True).start()
        child_state = {"assigned": frozenset(), "committed": [], "errors": [], "output": []}

        def drain_child():
            while True:
                try:
                    line = lines.get_nowait()
                except queue.Empty:
                    return
                try:
                    event = json.loads(line)
                except ValueError:  # librdkafka or Python output on stderr
                    child_state["output"].append(line.decode("utf-8", "replace").rstrip())
                    continue
                if "assigned" in event:
                    child_state["assigned"] = frozenset(event["assigned"])
                elif "revoked" in event:
                    child_state["assigned"] = frozenset()
                elif "committed" in event:
                    p, o, v = event["committed"]
                    child_state["committed"].append((p, o, v.encode()))
                elif "error" in event:
                    child_state["errors"].append(event["error"])

        survivor = self.member("survivor", group, topic, commit_each=True,
                               **{"partition.assignment.strategy": "range"})

        class ChildView:  # lets poll_until() poll and describe the child too
            name = "child"

            def poll_once(self_inner):
                drain_child()

            def describe(self_inner):
                return ("child pid %d alive=%s: assignment=%s committed=%d errors=%s output=%s"
                        % (child.pid, child.poll() is None, sorted(child_state["assigned"]),
                           len(child_state["committed"]), child_state["errors"][-3:],
                           child_state["output"][-5:]))

        view = ChildView()
        both = [survivor, view]

        def split():
            a, b = survivor.partitions(), child_state["assigned"]
            return a and b and not (a & b) and (a | b) == frozenset(parts)

        self.poll_until("survivor and child split 4 partitions", both, split)
        self.assertEqual(len(survivor.partitions()), 2)
        child_parts = child_state["assigned"]
        # Produced once the split is settled, so the child reads (and
        # commits) its partitions itself.
        before = self.produce(topic, parts, 5, "before")

        def all_before():
            got = {v for (_, _, v) in survivor.records + child_state["committed"]}
            return set(before.values()) <= got

        self.poll_until("child and survivor consumed (and committed) every record", both,
                        all_before)
        self.assertEqual(child_state["errors"], [], view.describe())

        child.send_signal(signal.SIGKILL)
        child.wait(timeout=TIMEOUT_S)
        drain_child()

        after = self.produce(topic, parts, 5, "after")
        self.poll_until("survivor owns all 4 partitions after the child's session timed out",
                        both, lambda: survivor.partitions() == frozenset(parts))
        self.wait_consumed([survivor], after.values(), "survivor consumed every later record")

        # The child's committed positions were honoured: on its old partitions
        # the survivor starts exactly after the child's last commit.
        for p in child_parts:
            last = max(o for (q, o, _) in child_state["committed"] if q == p)
            first = min(o for (q, o, _) in survivor.records if q == p)
            self.assertEqual(first, last + 1, "partition %d" % p)
        consumed = [v for (_, _, v) in survivor.records + child_state["committed"]]
        everything = list(before.values()) + list(after.values())
        self.assertEqual(sorted(consumed), sorted(everything))  # no loss, no duplicate
        self.assertEqual(survivor.errors, [], survivor.describe())

    # ---- resume after a synchronous commit ------------------------------------

    def test_restarted_group_resumes_exactly_after_its_commit(self):
        topic, group, parts = "resume", "g-resume", range(3)
        self.create_topic(topic, 3)
        first = self.produce(topic, parts, 10, "first")

        # Take 17 of the 30 records, commit what was taken, close.
        m1 = self.member("m1", group, topic)
        self.poll_until("m1 consumed 17 records", [m1], lambda: len(m1.records) >= 17)
        taken = m1.records[:17]
        self.assertEqual(len(m1.records), 17)  # poll() hands out one record at a time
        m1.consumer.commit(asynchronous=False)
        want = {}
        for p, o, _ in taken:
            want[p] = max(want.get(p, -1), o + 1)
        # Partitions m1 took nothing from have no commit (OFFSET_INVALID).
        self.assertEqual(self.committed(group, topic, parts),
                         {p: want.get(p, -1001) for p in parts})
        m1.close()

        second = self.produce(topic, parts, 5, "second")
        m2 = self.member("m2", group, topic)
        rest = (set(first.values()) - {v for (_, _, v) in taken}) | set(second.values())
        self.wait_consumed([m2], rest, "m2 consumed the records after the commit")
        got = [v for (_, _, v) in m2.records]
        self.assertEqual(sorted(got), sorted(rest))  # exactly the rest: no loss, no duplicate
        for p in parts:
            offs = [o for (q, o, _) in m2.records if q == p]
            self.assertEqual(offs[0], want.get(p, 0), "partition %d" % p)
            self.assertEqual(offs, list(range(offs[0], 15)), "partition %d" % p)

    # ---- pipelined asynchronous commits ------------------------------------------

    def test_pipelined_async_commits_leave_the_last_one_committed(self):
        # librdkafka sends asynchronous OffsetCommits back to back on one
        # connection without waiting for answers; Kafka processes a
        # connection's requests one at a time, so the last commit sent is the
        # one that stands (librdkafka's own test 0030 relies on it).
        topic, group, parts = "asynccommit", "g-async", [0]
        self.create_topic(topic, 1)
        self.produce(topic, parts, 1, "a")
        answered = []
        c = Consumer(self.consumer_conf(
            group, on_commit=lambda err, tps: answered.append((err, tps[0].offset))))
        try:
            c.assign([TopicPartition(topic, 0, 0)])
            for round_ in range(5):
                last = 1000 * (round_ + 1)
                answered.clear()
                for off in range(last - 199, last + 1):
                    c.commit(offsets=[TopicPartition(topic, 0, off)], asynchronous=True)
                deadline = time.monotonic() + TIMEOUT_S
                while len(answered) < 200 and time.monotonic() < deadline:
                    c.poll(POLL_S)
                self.assertEqual(len(answered), 200, "commit callbacks, round %d" % round_)
                self.assertEqual([e for e, _ in answered if e is not None], [])
                got = c.committed([TopicPartition(topic, 0)], timeout=TIMEOUT_S)
                self.assertEqual(got[0].offset, last, "round %d" % round_)
        finally:
            c.close()
        self.assertEqual(self.committed(group, topic, parts), {0: 5000})

    # ---- two groups, two positions --------------------------------------------

    def test_two_groups_keep_independent_positions(self):
        topic, parts = "shared", [0]
        self.create_topic(topic, 1)
        records = self.produce(topic, parts, 40, "r")
        values = [records[(0, o)] for o in range(40)]

        a = self.member("a", "g-a", topic)
        b = self.member("b", "g-b", topic)
        self.poll_until("group a took 10 records", [a], lambda: len(a.records) >= 10)
        self.poll_until("group b took 25 records", [b], lambda: len(b.records) >= 25)
        self.assertEqual([v for (_, _, v) in a.records], values[:10])
        self.assertEqual([v for (_, _, v) in b.records], values[:25])
        a.consumer.commit(asynchronous=False)
        b.consumer.commit(asynchronous=False)
        a.close()
        b.close()
        self.assertEqual(self.committed("g-a", topic, parts), {0: 10})
        self.assertEqual(self.committed("g-b", topic, parts), {0: 25})
        self.assertEqual(self.committed("g-none", topic, parts), {0: -1001})  # OFFSET_INVALID

        a2 = self.member("a2", "g-a", topic)
        b2 = self.member("b2", "g-b", topic)
        self.wait_consumed([a2], values[10:], "group a resumed at 10")
        self.wait_consumed([b2], values[25:], "group b resumed at 25")
        self.assertEqual([v for (_, _, v) in a2.records], values[10:])
        self.assertEqual([v for (_, _, v) in b2.records], values[25:])

    # ---- broker restart keeps committed offsets --------------------------------

    def commit_offsets(self, group, topic, offsets):
        c = Consumer(self.consumer_conf(group))
        try:
            c.commit(offsets=[TopicPartition(topic, p, o) for p, o in offsets.items()],
                     asynchronous=False)
        finally:
            c.close()

    def test_committed_offsets_survive_clean_and_kill9_restarts(self):
        topic, parts = "durable", range(4)
        self.create_topic(topic, 4)
        self.produce(topic, parts, 10, "d")

        # g-member commits as a real group member (generation > 0).
        m = self.member("m", "g-member", topic, commit_each=True)
        self.poll_until("g-member consumed all 40 records", [m], lambda: len(m.records) >= 40)
        self.assertEqual(m.errors, [])
        m.close()
        want = {"g-member": {p: 10 for p in parts}}
        # The others commit standalone (no subscription), overwriting earlier commits.
        self.commit_offsets("g-standalone", topic, {0: 1, 1: 2, 2: 3, 3: 4})
        self.commit_offsets("g-standalone", topic, {0: 5, 2: 7})
        want["g-standalone"] = {0: 5, 1: 2, 2: 7, 3: 4}
        for i in range(6):
            self.commit_offsets("g-many-%d" % i, topic, {p: (i + p) % 10 for p in parts})
            want["g-many-%d" % i] = {p: (i + p) % 10 for p in parts}

        def check(when):
            for group, offsets in sorted(want.items()):
                self.assertEqual(self.committed(group, topic, parts), offsets,
                                 "group %s %s\n%s" % (group, when, self.broker.log_tail()))

        check("before any restart")
        proc = self.broker.proc
        self.broker.stop()  # SIGTERM: clean shutdown (SIGKILL only after 20 s)
        self.assertEqual(proc.returncode, 0, "keel did not stop cleanly:\n"
                         + self.broker.log_tail())
        self.broker.start()  # same data dir, same port
        check("after a clean restart")

        self.commit_offsets("g-standalone", topic, {1: 9})
        want["g-standalone"][1] = 9
        self.broker.kill()  # SIGKILL: no shutdown work at all
        self.broker.start()
        check("after a kill -9 restart")

        # A member of the group resumes from the committed positions.
        self.produce(topic, parts, 1, "late")
        s = self.member("s", "g-standalone", topic)
        self.poll_until("g-standalone member read to the end", [s],
                        lambda: {p for (p, o, _) in s.records if o == 10} == set(parts))
        for p in parts:
            offs = [o for (q, o, _) in s.records if q == p]
            self.assertEqual(offs, list(range(want["g-standalone"][p], 11)), "partition %d" % p)

    # ---- static membership -------------------------------------------------------

    def test_static_member_restart_keeps_assignment_without_rebalance(self):
        topic, group, parts = "static", "g-static", range(4)
        self.create_topic(topic, 4)

        def static_member(name, instance):
            return self.member(name, group, topic, commit_each=True,
                               **{"group.instance.id": instance,
                                  "partition.assignment.strategy": "range"})

        a = static_member("a", "instance-a")
        self.poll_until("a alone owns every partition", [a],
                        lambda: a.partitions() == frozenset(parts))
        b = static_member("b", "instance-b")
        self.poll_until("a and b split 4 partitions", [a, b],
                        lambda: (split_of([a, b], parts) is not None
                                 and len(a.partitions()) == 2))

        def restart(old, name, instance, other):
            """Closes `old` (a static member sends no LeaveGroup) and starts its
            replacement with the same instance id; the replacement must get the
            same partitions while `other` sees no rebalance at all."""
            old_parts = old.partitions()
            other_calls = (list(other.assigned_calls), list(other.revoked_calls))
            old.close()
            new = static_member(name, instance)
            self.poll_until("restarted %s gets an assignment" % instance, [other, new],
                            lambda: new.partitions())
            self.assertEqual(new.partitions(), old_parts, new.describe())
            # Had the coordinator rebalanced, `other` would have had to revoke
            # (eager range) before `new` could be assigned. Keep both polling
            # past a few heartbeats to catch a late rebalance too.
            self.poll_for([other, new], 2.0)
            self.assertEqual((other.assigned_calls, other.revoked_calls), other_calls,
                             "%s saw a rebalance: %s\n%s"
                             % (other.name, other.describe(), self.broker.log_tail()))
            self.assertEqual(new.assigned_calls, [sorted(old_parts)], new.describe())
            self.assertEqual(new.revoked_calls, [], new.describe())
            return new

        b2 = restart(b, "b2", "instance-b", a)  # a follower
        a2 = restart(a, "a2", "instance-a", b2)  # the leader
        members = [a2, b2]
        self.assertIsNotNone(split_of(members, parts))

        # The restarted members really own their partitions: new records
        # reach them.
        owner = {p: m for m in members for p in m.partitions()}
        records = self.produce(topic, parts, 3, "r")
        self.wait_consumed(members, records.values(), "restarted members consumed new records")
        for (p, _), value in records.items():
            self.assertIn(value, [v for (_, _, v) in owner[p].records], "partition %d" % p)


if __name__ == "__main__":
    unittest.main()
