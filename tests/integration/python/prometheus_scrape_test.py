"""Debian's Prometheus server scrapes a running keel: proves the /metrics
exposition is valid for a real Prometheus, not just for our own parser.

Starts /usr/bin/prometheus on 127.0.0.1 (a free port, its own temporary
TSDB directory, scrape_interval 1s) with keel's HTTP listener as its only
target, waits until `up` is 1, then queries keel series through the HTTP
API: the partition's log end offset equals the produced count, the Produce
request counter and latency histogram exist. Also runs `promtool check
metrics` on one scrape (lint problems are printed; parse errors fail).
Skipped (not failed) when /usr/bin/prometheus is not installed."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

from kafka import KafkaProducer

from keel_broker import BrokerTestCase
from keel_http import http_get

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
TOPIC = "prom-topic"
TIMEOUT_S = 45


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(os.access(PROMETHEUS, os.X_OK), "Debian's prometheus is not installed")
class PrometheusScrapeTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"num.partitions": "1"}

    def start_prometheus(self):
        work = tempfile.mkdtemp(prefix="keel-prometheus-")
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: keel\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % self.broker.http_port)
        self.prom_port = free_port()
        log = open(os.path.join(work, "prometheus.log"), "wb")
        self.prom_log = log.name
        proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + config, "--storage.tsdb.path=" + os.path.join(work, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % self.prom_port, "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=work)
        log.close()

        def stop():
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.addCleanup(stop)
        self.prom = proc

    def query(self, expr):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            self.prom_port, urllib.parse.urlencode({"query": expr}))
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
        if body.get("status") != "success":
            raise AssertionError("query %s: %r" % (expr, body))
        return body["data"]["result"]

    def wait_for(self, expr, predicate, what):
        deadline = time.monotonic() + TIMEOUT_S
        last = None
        while time.monotonic() < deadline:
            if self.prom.poll() is not None:
                with open(self.prom_log) as f:
                    self.fail("prometheus exited %s:\n%s" % (self.prom.returncode, f.read()[-4000:]))
            try:
                last = self.query(expr)
                if predicate(last):
                    return last
            except (OSError, ValueError) as e:  # not listening yet
                last = repr(e)
            time.sleep(0.5)
        with open(self.prom_log) as f:
            log = f.read()[-4000:]
        self.fail("%s: last answer to %s was %r\nprometheus log:\n%s" % (what, expr, last, log))

    def test_prometheus_scrapes_keel(self):
        producer = KafkaProducer(bootstrap_servers=self.broker.bootstrap, acks="all",
                                 client_id="keel-prometheus-test")
        for i in range(7):
            producer.send(TOPIC, value=b"x%d" % i, partition=0)
        producer.flush(timeout=30)
        producer.close()

        self.start_prometheus()
        self.wait_for('up{job="keel"}', lambda r: r and r[0]["value"][1] == "1",
                      "prometheus never scraped keel successfully")
        leo = self.wait_for('keel_partition_log_end_offset{topic="%s"}' % TOPIC, lambda r: len(r) == 1,
                            "no log end offset series")
        self.assertEqual(leo[0]["value"][1], "7")
        self.assertEqual(leo[0]["metric"]["partition"], "0")
        produce = self.query('keel_requests_total{api="Produce"}')
        self.assertEqual(len(produce), 1, produce)
        self.assertGreaterEqual(float(produce[0]["value"][1]), 1)
        buckets = self.query('keel_request_duration_seconds_bucket{api="Produce"}')
        self.assertGreater(len(buckets), 2, buckets)
        self.assertEqual(len(self.query("keel_process_resident_memory_bytes")), 1)
        # The scrape reported no samples rejected for being out of order or duplicated.
        for series in ("scrape_samples_scraped", "scrape_series_added"):
            self.assertEqual(len(self.query(series)), 1)

    @unittest.skipUnless(os.access(PROMTOOL, os.X_OK), "promtool is not installed")
    def test_promtool_accepts_the_exposition(self):
        status, _, body = http_get(self.broker.http_port, "/metrics")
        self.assertEqual(status, 200)
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=body.encode(),
                           capture_output=True, timeout=30)
        out = (r.stdout + r.stderr).decode()
        # promtool exits 1 for lint warnings too; a parse error names the
        # line it could not read ("error while linting" / "text format parsing error").
        self.assertNotIn("parsing error", out, out)
        self.assertNotIn("error while linting", out, out)
        if out.strip():
            print("promtool lint notes:\n" + out)


if __name__ == "__main__":
    unittest.main()
