"""keel-admin against a real keel broker, run as a process.

Covers: topics create/describe/alter-config/delete round trip; produce N
lines and consume them back; groups describe showing the lag of a group that
committed part of a topic (the commit made with confluent-kafka); reset-offsets
dry run (nothing changes) and --execute (committed offsets move, checked with
confluent-kafka's OffsetFetch); --json output parsed with the json module;
Kafka errors named with exit status 1 and usage errors with 2; offline
segment dump and log-dir verify on a directory the broker wrote, then on
copies with a corrupted byte and a torn tail (reported, exit 1) while the
directory stays byte-for-byte unchanged.

KEEL_BINARY and KEEL_ADMIN name the executables (set by CTest).
"""

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration", "python"))

from confluent_kafka import Consumer, TopicPartition  # noqa: E402

from keel_broker import BrokerTestCase, KeelBroker  # noqa: E402

ADMIN = os.environ.get("KEEL_ADMIN", "")
TIMEOUT_S = 60


def run_admin(bootstrap, *args, stdin=None):
    cmd = [ADMIN]
    if bootstrap:
        cmd += ["--bootstrap-server", bootstrap]
    cmd += ["--timeout-ms", "15000"] + list(args)
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=TIMEOUT_S)


def tree_digest(root):
    """sha256 of every file (path, size, bytes) under root, and the name list."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            h.update(os.path.relpath(path, root).encode())
            with open(path, "rb") as f:
                data = f.read()
            h.update(len(data).to_bytes(8, "big"))
            h.update(data)
    return h.hexdigest()


class AdminCase(BrokerTestCase):
    def admin(self, *args, stdin=None, expect=0):
        r = run_admin(self.broker.bootstrap, *args, stdin=stdin)
        if expect is not None:
            self.assertEqual(r.returncode, expect,
                             "keel-admin %s -> %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def admin_json(self, *args, stdin=None):
        r = self.admin("--json", *args, stdin=stdin)
        return json.loads(r.stdout)

    def committed(self, group, topic, partitions):
        c = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": group,
                      "enable.auto.commit": False})
        try:
            tps = c.committed([TopicPartition(topic, p) for p in partitions], timeout=20)
            return {tp.partition: tp.offset for tp in tps}
        finally:
            c.close()

    def commit(self, group, topic, offsets):
        c = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": group,
                      "enable.auto.commit": False})
        try:
            c.commit(offsets=[TopicPartition(topic, p, o) for p, o in offsets.items()],
                     asynchronous=False)
        finally:
            c.close()


class TopicsTest(AdminCase, unittest.TestCase):
    def test_create_describe_alter_delete_round_trip(self):
        out = self.admin("topics", "create", "orders", "--partitions", "3",
                         "--config", "retention.ms=86400000").stdout
        self.assertIn("Created topic orders with 3 partition(s)", out)

        listed = self.admin_json("topics", "list")
        self.assertIn("orders", [t["name"] for t in listed["topics"]])
        text = self.admin("topics", "list").stdout
        self.assertRegex(text, r"(?m)^TOPIC\s+PARTITIONS\s+INTERNAL$")
        self.assertRegex(text, r"(?m)^orders\s+3\s+no$")

        desc = self.admin_json("topics", "describe", "orders")
        self.assertEqual([p["partition"] for p in desc["partitions"]], [0, 1, 2])
        for p in desc["partitions"]:
            self.assertEqual(p["log_start_offset"], 0)
            self.assertEqual(p["log_end_offset"], 0)
        configs = {c["name"]: c for c in desc["configs"]}
        self.assertEqual(configs["retention.ms"]["value"], "86400000")
        self.assertEqual(configs["retention.ms"]["source"], "DYNAMIC_TOPIC_CONFIG")

        self.admin("topics", "alter-config", "orders", "--set", "retention.ms=3600000",
                   "--set", "cleanup.policy=compact")
        configs = {c["name"]: c for c in self.admin_json("topics", "describe", "orders")["configs"]}
        self.assertEqual(configs["retention.ms"]["value"], "3600000")
        self.assertEqual(configs["cleanup.policy"]["value"], "compact")

        self.admin("topics", "alter-config", "orders", "--delete", "retention.ms")
        configs = {c["name"]: c for c in self.admin_json("topics", "describe", "orders")["configs"]}
        self.assertNotEqual(configs["retention.ms"]["source"], "DYNAMIC_TOPIC_CONFIG")
        self.assertEqual(configs["cleanup.policy"]["value"], "compact")

        self.assertIn("Deleted topic orders", self.admin("topics", "delete", "orders").stdout)
        self.assertNotIn("orders", [t["name"] for t in self.admin_json("topics", "list")["topics"]])

    def test_kafka_errors_are_named_with_exit_1(self):
        r = self.admin("topics", "describe", "missing", expect=1)
        self.assertIn("UNKNOWN_TOPIC_OR_PARTITION", r.stderr)
        self.admin("topics", "create", "dup", "--partitions", "1")
        r = self.admin("topics", "create", "dup", "--partitions", "1", expect=1)
        self.assertIn("TOPIC_ALREADY_EXISTS", r.stderr)
        r = self.admin("topics", "alter-config", "dup", "--set", "no.such.config=1", expect=1)
        self.assertRegex(r.stderr, r"INVALID_CONFIG|INVALID_REQUEST|UNKNOWN")

    def test_usage_errors_exit_2(self):
        self.assertIn("unknown command", self.admin("frobnicate", expect=2).stderr)
        self.admin("topics", "create", expect=2)
        self.admin("topics", "create", "x", "--partitions", "many", expect=2)
        self.admin("groups", "reset-offsets", "g", "--topic", "t", expect=2)  # no --to-*
        r = run_admin("", "--bootstrap-server", "nonsense", "topics", "list")
        self.assertEqual(r.returncode, 2, r.stderr)


class ProduceConsumeTest(AdminCase, unittest.TestCase):
    def test_produce_lines_then_consume_them_back(self):
        self.admin("topics", "create", "lines", "--partitions", "2")
        lines = ["k%d:value number %d" % (i % 7, i) for i in range(250)]
        summary = self.admin_json("produce", "lines", "--key-separator", ":",
                                  stdin="\n".join(lines) + "\n")
        self.assertEqual(summary["records"], 250)

        out = self.admin("consume", "lines", "--from-beginning", "--max-messages", "250",
                         "--print-key").stdout.splitlines()
        self.assertEqual(sorted(out), sorted(l.replace(":", "\t", 1) for l in lines))

        # Same key -> same partition, and per-partition order is kept.
        doc = self.admin_json("consume", "lines", "--from-beginning")
        self.assertEqual(doc["count"], 250)
        by_key = {}
        for r in doc["records"]:
            by_key.setdefault(r["key"], set()).add(r["partition"])
        self.assertTrue(all(len(parts) == 1 for parts in by_key.values()), by_key)
        for p in (0, 1):
            offsets = [r["offset"] for r in doc["records"] if r["partition"] == p]
            self.assertEqual(offsets, list(range(len(offsets))))

        # A fixed partition, then reading only that partition.
        self.admin("produce", "lines", "--partition", "1", stdin="extra-1\nextra-2\n")
        tail = self.admin_json("consume", "lines", "--partition", "1", "--from-beginning")
        self.assertEqual([r["value"] for r in tail["records"]][-2:], ["extra-1", "extra-2"])
        self.assertTrue(all(r["partition"] == 1 for r in tail["records"]))

    def test_consume_with_a_group_commits_its_position(self):
        self.admin("topics", "create", "g-lines", "--partitions", "1")
        self.admin("produce", "g-lines", stdin="".join("m%d\n" % i for i in range(10)))
        first = self.admin("consume", "g-lines", "--group", "cg", "--from-beginning",
                           "--max-messages", "4").stdout.split()
        self.assertEqual(first, ["m0", "m1", "m2", "m3"])
        self.assertEqual(self.committed("cg", "g-lines", [0]), {0: 4})
        rest = self.admin("consume", "g-lines", "--group", "cg").stdout.split()
        self.assertEqual(rest, ["m%d" % i for i in range(4, 10)])


class GroupsTest(AdminCase, unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.admin("topics", "create", "events", "--partitions", "2")
        self.admin("produce", "events", "--partition", "0",
                   stdin="".join("a%d\n" % i for i in range(10)))
        self.admin("produce", "events", "--partition", "1",
                   stdin="".join("b%d\n" % i for i in range(6)))
        self.commit("lagging", "events", {0: 4, 1: 6})

    def test_describe_shows_the_lag_of_a_group_that_committed_part_of_a_topic(self):
        names = [g["group"] for g in self.admin_json("groups", "list")["groups"]]
        self.assertIn("lagging", names)
        doc = self.admin_json("groups", "describe", "lagging")
        self.assertEqual(doc["state"], "Empty")
        rows = {(o["topic"], o["partition"]): o for o in doc["offsets"]}
        self.assertEqual(rows[("events", 0)]["committed_offset"], 4)
        self.assertEqual(rows[("events", 0)]["log_end_offset"], 10)
        self.assertEqual(rows[("events", 0)]["lag"], 6)
        self.assertEqual(rows[("events", 1)]["lag"], 0)
        self.assertEqual(doc["total_lag"], 6)
        text = self.admin("groups", "describe", "lagging").stdout
        self.assertRegex(text, r"(?m)^events\s+0\s+4\s+10\s+6\s+-$")

    def test_reset_offsets_dry_run_changes_nothing_and_execute_commits(self):
        plan = self.admin_json("groups", "reset-offsets", "lagging", "--topic", "events",
                               "--to-earliest")
        self.assertFalse(plan["executed"])
        self.assertEqual({(p["partition"], p["new_offset"]) for p in plan["plan"]}, {(0, 0), (1, 0)})
        self.assertEqual(self.committed("lagging", "events", [0, 1]), {0: 4, 1: 6})
        text = self.admin("groups", "reset-offsets", "lagging", "--topic", "events:0",
                          "--to-offset", "7", "--dry-run").stdout
        self.assertRegex(text, r"(?m)^lagging\s+events\s+0\s+4\s+7$")
        self.assertEqual(self.committed("lagging", "events", [0, 1]), {0: 4, 1: 6})

        self.admin("groups", "reset-offsets", "lagging", "--topic", "events", "--to-earliest",
                   "--execute")
        self.assertEqual(self.committed("lagging", "events", [0, 1]), {0: 0, 1: 0})
        self.admin("groups", "reset-offsets", "lagging", "--topic", "events:0", "--to-offset", "7",
                   "--execute")
        self.assertEqual(self.committed("lagging", "events", [0, 1]), {0: 7, 1: 0})
        self.admin("groups", "reset-offsets", "lagging", "--topic", "events:0", "--shift-by", "-2",
                   "--execute")
        self.admin("groups", "reset-offsets", "lagging", "--topic", "events:1", "--shift-by", "100",
                   "--execute")  # clamped to the log end
        self.assertEqual(self.committed("lagging", "events", [0, 1]), {0: 5, 1: 6})
        self.admin("groups", "reset-offsets", "lagging", "--topic", "events", "--to-datetime",
                   "2001-01-01T00:00:00Z", "--execute")
        self.assertEqual(self.committed("lagging", "events", [0, 1]), {0: 0, 1: 0})
        self.admin("groups", "reset-offsets", "lagging", "--topic", "events", "--to-latest",
                   "--execute")
        self.assertEqual(self.committed("lagging", "events", [0, 1]), {0: 10, 1: 6})
        doc = self.admin_json("groups", "describe", "lagging")
        self.assertEqual(doc["total_lag"], 0)

    def test_reset_offsets_refuses_an_active_group(self):
        c = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": "lagging",
                      "enable.auto.commit": False, "session.timeout.ms": 6000})
        try:
            c.subscribe(["events"])
            deadline = 200
            while not c.assignment() and deadline > 0:
                c.poll(0.1)
                deadline -= 1
            self.assertTrue(c.assignment())
            doc = self.admin_json("groups", "describe", "lagging")
            self.assertEqual(doc["state"], "Stable")
            self.assertEqual(len(doc["members"]), 1)
            self.assertEqual(sorted(a["partition"] for a in doc["members"][0]["assignment"]), [0, 1])
            r = self.admin("groups", "reset-offsets", "lagging", "--topic", "events", "--to-earliest",
                           "--execute", expect=1)
            self.assertIn("inactive", r.stderr)
            r = self.admin("groups", "delete", "lagging", expect=1)
            self.assertIn("NON_EMPTY_GROUP", r.stderr)
        finally:
            c.close()
        self.assertEqual(self.committed("lagging", "events", [0, 1]), {0: 4, 1: 6})
        self.admin("groups", "delete", "lagging")
        self.assertNotIn("lagging", [g["group"] for g in self.admin_json("groups", "list")["groups"]])


class OfflineToolsTest(unittest.TestCase):
    """Dump and verify a log dir written by the broker, then damaged copies.

    The topic has 4 batches of 20 records in 2 segments (segment.bytes=700)
    and an offset index entry per batch after the first of each segment
    (index.interval.bytes=1), so index checks and cross-segment offsets are
    exercised."""

    @classmethod
    def setUpClass(cls):
        cls.broker = KeelBroker().start()
        try:
            b = cls.broker.bootstrap
            r = run_admin(b, "topics", "create", "seg", "--partitions", "1",
                          "--config", "segment.bytes=700", "--config", "index.interval.bytes=1")
            assert r.returncode == 0, r.stderr
            for round_ in range(4):  # one batch per produce run
                lines = "".join("r%d-%d\n" % (round_, i) for i in range(20))
                r = run_admin(b, "produce", "seg", stdin=lines)
                assert r.returncode == 0, r.stderr
        finally:
            cls.broker.stop()

    @classmethod
    def tearDownClass(cls):
        cls.broker.cleanup()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="keel-admin-offline-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def copy(self, name):
        dst = os.path.join(self.tmp, name)
        shutil.copytree(self.broker.data_dir, dst)
        return dst

    def segments(self, root):
        logs = sorted(glob.glob(os.path.join(root, "seg-0", "*.log")))
        self.assertEqual(len(logs), 2, logs)
        return logs

    def offline(self, *args, expect=0):
        r = run_admin("", *args)
        if expect is not None:
            self.assertEqual(r.returncode, expect, "stdout:\n%s\nstderr:\n%s" % (r.stdout, r.stderr))
        return r

    def batches(self, segment):
        return json.loads(self.offline("--json", "segment", "dump", segment, expect=None).stdout)["batches"]

    def test_dump_and_verify_a_healthy_log_dir(self):
        root = self.copy("healthy")
        before = tree_digest(root)
        first, second = self.segments(root)
        dump = json.loads(self.offline("--json", "segment", "dump", first, "--records").stdout)
        self.assertEqual([b["base_offset"] for b in dump["batches"]], [0, 20])
        self.assertTrue(all(b["crc_ok"] and b["codec"] == "none" and b["count"] == 20
                            and b["producer_id"] == -1 and not b["transactional"]
                            and not b["control"] for b in dump["batches"]))
        self.assertEqual(dump["batches"][1]["records"][0]["value"], "r1-0")
        self.assertEqual(dump["batches"][1]["records"][0]["offset"], 20)
        self.assertFalse(dump["damaged"])
        self.assertEqual([b["base_offset"] for b in self.batches(second)], [40, 60])
        text = self.offline("segment", "dump", first).stdout
        self.assertRegex(text, r"(?m)^BASE-OFFSET\s+LAST-OFFSET\s+COUNT\s+POSITION")
        self.assertRegex(text, r"(?m)^0\s+19\s+20\s+0\s+")

        verify = json.loads(self.offline("--json", "log-dir", "verify", root).stdout)
        self.assertFalse(verify["damaged"], verify)
        parts = {p["partition"]: p for p in verify["partitions"]}
        self.assertEqual((parts["seg-0"]["segments"], parts["seg-0"]["batches"]), (2, 4))
        self.assertEqual((parts["seg-0"]["first_offset"], parts["seg-0"]["next_offset"]), (0, 80))
        self.assertTrue(parts["seg-0"]["clean_shutdown"])
        r = self.offline("log-dir", "verify", root, "--progress")
        self.assertIn("No damage found", r.stdout)
        self.assertRegex(r.stdout, r"(?m)^seg-0\s+2\s+4\s+\d+\s+\[0, 80\)\s+clean\s+ok$")
        self.assertRegex(r.stderr, r"verify: \d+ / \d+ bytes")
        self.assertEqual(tree_digest(root), before)

    def test_verify_reports_a_corrupted_byte_and_exits_non_zero(self):
        root = self.copy("corrupt")
        first, second = self.segments(root)
        target = self.batches(first)[1]["position"]
        with open(first, "r+b") as f:
            f.seek(target + 70)  # inside the records, covered by the CRC
            byte = f.read(1)
            f.seek(target + 70)
            f.write(bytes([byte[0] ^ 0x5A]))
        size = os.path.getsize(first)
        before = tree_digest(root)

        doc = json.loads(self.offline("--json", "segment", "dump", first, expect=1).stdout)
        self.assertEqual([b["crc_ok"] for b in doc["batches"]], [True, False])
        self.assertTrue(doc["damaged"])

        doc = json.loads(self.offline("--json", "log-dir", "verify", root, expect=1).stdout)
        self.assertTrue(doc["damaged"])
        self.assertFalse({p["partition"]: p for p in doc["partitions"]}["seg-0"]["ok"])
        cut = [p for p in doc["problems"] if p["file"] == first]
        self.assertEqual(len(cut), 1, doc["problems"])
        self.assertEqual((cut[0]["severity"], cut[0]["position"], cut[0]["bytes"]),
                         ("damage", target, size - target))
        self.assertIn("recovery would truncate", cut[0]["problem"])
        self.assertIn("CRC", cut[0]["problem"].upper())
        dropped = [p for p in doc["problems"] if p["file"] == second]
        self.assertEqual(len(dropped), 1, doc["problems"])
        self.assertEqual(dropped[0]["bytes"], os.path.getsize(second))
        self.assertIn("drop this whole segment", dropped[0]["problem"])
        text = self.offline("log-dir", "verify", root, expect=1).stdout
        self.assertRegex(text, r"(?m)^seg-0\s.*DAMAGED$")
        self.assertEqual(tree_digest(root), before)

    def test_verify_reports_a_torn_tail_and_exits_non_zero(self):
        root = self.copy("torn")
        _, last_segment = self.segments(root)
        last = self.batches(last_segment)[-1]["position"]
        with open(last_segment, "r+b") as f:
            f.truncate(last + 30)  # half a batch header
        before = tree_digest(root)
        doc = json.loads(self.offline("--json", "log-dir", "verify", root, expect=1).stdout)
        torn = [p for p in doc["problems"] if p["file"] == last_segment]
        self.assertEqual(len(torn), 1, doc["problems"])
        self.assertEqual((torn[0]["position"], torn[0]["bytes"]), (last, 30))
        self.assertIn("recovery would truncate", torn[0]["problem"])
        dump = json.loads(self.offline("--json", "segment", "dump", last_segment, expect=1).stdout)
        self.assertEqual(len(dump["batches"]), 1)
        self.assertIn("damaged tail: 30 bytes", dump["tail"])
        self.assertEqual(tree_digest(root), before)

    def test_verify_reports_an_index_entry_that_disagrees_with_the_log(self):
        root = self.copy("index")
        first, _ = self.segments(root)
        index = first[:-len(".log")] + ".index"
        with open(index, "rb") as f:
            entries = f.read()
        self.assertEqual(len(entries), 8)  # one entry: the second batch
        self.assertEqual(int.from_bytes(entries[4:8], "big"), self.batches(first)[1]["position"])
        with open(index, "r+b") as f:
            f.seek(4)
            f.write((int.from_bytes(entries[4:8], "big") - 1).to_bytes(4, "big"))
        before = tree_digest(root)
        doc = json.loads(self.offline("--json", "log-dir", "verify", root, expect=1).stdout)
        self.assertEqual([p["file"] for p in doc["problems"]], [index], doc["problems"])
        self.assertIn("does not point at the batch", doc["problems"][0]["problem"])
        self.assertEqual(tree_digest(root), before)


if __name__ == "__main__":
    unittest.main()
