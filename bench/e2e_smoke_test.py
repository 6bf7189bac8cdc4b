#!/usr/bin/python3
"""Smoke test of bench/run-e2e.py: one tiny run of every scenario against the
built keel and keel-mock-peer, then checks that the JSON carries every figure
and every ratio of the issue. Behaviour only: no figure is compared with a
threshold (timings on a shared machine mean nothing), only its presence, its
type, and that every run moved data.

Environment: KEEL_BINARY (the keel executable) and KEEL_BENCH_TOOLS (the
directory holding keel-loadgen, keel-mock-peer and keel-rawdisk).
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))

PRODUCE = ["produce_%dB_acks%s_%dp" % (s, a, p)
           for s in (100, 1024) for a in ("all", "1") for p in (1, 100)]
CONSUME = ["consume_100B_100p", "consume_1024B_100p"]
LATENCY = ["latency_1024B_1000mps"]
RAW_FIGURES = ["seq_256k_fdatasync_mb_s", "seq_1m_fdatasync_mb_s", "append_4k_p50_us",
               "append_4k_p99_us", "prealloc_4k_p50_us", "prealloc_4k_p99_us",
               "paced_4k_p50_us", "paced_4k_p99_us"]
RATIOS = (["durable_ingest_1KiB_acksall_1p", "durable_ingest_1KiB_acksall_100p"]
          + ["keel_over_peer_" + n for n in PRODUCE + CONSUME]
          + ["latency_overhead_p50_us_" + LATENCY[0], "latency_overhead_p99_us_" + LATENCY[0],
             "latency_overhead_p99_us_" + LATENCY[0] + "_vs_paced_raw",
             "cpu_s_per_gb_produce_keel_over_peer"])


class RunE2eSmokeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        keel = os.environ["KEEL_BINARY"]
        tools = os.environ["KEEL_BENCH_TOOLS"]
        cls.tmp = tempfile.TemporaryDirectory(prefix="keel-e2e-smoke-")
        out = os.path.join(cls.tmp.name, "e2e.json")
        cmd = [sys.executable, os.path.join(HERE, "run-e2e.py"), "--quick", "--repeat", "1",
               "--seconds", "0.3", "--latency-seconds", "0.5", "--consume-mib", "1",
               "--rawdisk-mib", "4", "--rawdisk-appends", "50",
               "--keel", keel, "--loadgen", os.path.join(tools, "keel-loadgen"),
               "--mock-peer", os.path.join(tools, "keel-mock-peer"),
               "--rawdisk", os.path.join(tools, "keel-rawdisk"),
               "--data-root", cls.tmp.name, "--json-out", out]
        cls.proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=170)
        cls.output = cls.proc.stdout.decode("utf-8", "replace")
        cls.doc = None
        if os.path.exists(out):
            with open(out) as f:
                cls.doc = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_run_succeeds_and_writes_json(self):
        self.assertEqual(self.proc.returncode, 0, self.output)
        self.assertIsNotNone(self.doc, self.output)
        self.assertEqual(self.doc["failures"], 0, self.output)
        self.assertIn("ratios (target, met):", self.output)

    def test_raw_disk_figures_present(self):
        summary = self.doc["rawdisk"]["summary"]
        for key in RAW_FIGURES:
            self.assertIn(key, summary)
            for stat in ("median", "min", "max"):
                self.assertGreater(summary[key][stat], 0, key)

    def test_every_scenario_ran_on_both_brokers(self):
        self.assertEqual(sorted(self.doc["scenarios"]), sorted(PRODUCE + CONSUME + LATENCY))
        for name, res in self.doc["scenarios"].items():
            for side in ("keel", "peer"):
                runs = res[side]["runs"]
                self.assertEqual(len(runs), 1, (name, side))
                self.assertNotIn("error", runs[0], (name, side))
                self.assertGreater(runs[0]["messages"], 0, (name, side))
                self.assertGreater(runs[0]["bytes"], 0, (name, side))
                self.assertGreaterEqual(runs[0]["cpu_s"], 0, (name, side))
                summary = res[side]["summary"]
                for key in ("mb_per_s", "msgs_per_s", "cpu_s"):
                    self.assertIn(key, summary, (name, side))
                if res["kind"] != "consume":
                    for key in ("latency_p50_us", "latency_p99_us", "latency_p999_us"):
                        self.assertIn(key, summary, (name, side))

    def test_consume_reads_everything_preloaded(self):
        for name in CONSUME:
            for side in ("keel", "peer"):
                run = self.doc["scenarios"][name][side]["runs"][0]
                self.assertEqual(run["messages"], run["preload_messages"], (name, side))

    def test_every_ratio_present_with_target(self):
        ratios = {r["name"]: r for r in self.doc["ratios"]}
        self.assertEqual(sorted(ratios), sorted(RATIOS))
        for name, r in ratios.items():
            for key in ("value", "target", "op", "met", "note"):
                self.assertIn(key, r, name)
            self.assertIsNotNone(r["value"], name)
            if r["target"] is not None:
                self.assertIn(r["met"], (True, False), name)
        self.assertIsNotNone(ratios["latency_overhead_p99_us_" + LATENCY[0]]["target"])
        self.assertIsNotNone(ratios["cpu_s_per_gb_produce_keel_over_peer"]["keel_cpu_s_per_gb"])


if __name__ == "__main__":
    unittest.main()
