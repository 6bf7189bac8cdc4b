"""keel's HTTP listener against a real broker: /healthz, /readyz, /metrics
and the error answers (404, 405, 400); then, after producing, consuming and
committing with a consumer group, the /metrics values: log end offset and
high watermark equal the produced count, the group's committed offset, lag in
records (produced minus committed) and lag in seconds (> 0 while behind,
0 when caught up), per-topic bytes in/out, request counters and errors, the
group-commit histograms, connections and process metrics."""

import socket
import time
import unittest

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.protocol.offset import OffsetRequest
from kafka.structs import OffsetAndMetadata

from keel_broker import BrokerTestCase
from keel_http import find, http_get, one, parse_exposition

TIMEOUT_S = 30
TOPIC = "metrics-topic"
GROUP = "metrics-group"


def raw_http(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out.decode("utf-8", "replace")
            out += chunk


class MetricsTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"num.partitions": "1"}

    def scrape(self):
        status, ctype, body = http_get(self.broker.http_port, "/metrics")
        self.assertEqual(status, 200)
        self.assertIn("version=0.0.4", ctype)
        return parse_exposition(body)

    def produce(self, count, timestamp_ms):
        producer = KafkaProducer(bootstrap_servers=self.broker.bootstrap, acks="all",
                                 client_id="keel-metrics-test")
        futures = [producer.send(TOPIC, value=b"v%03d" % i, partition=0, timestamp_ms=timestamp_ms)
                   for i in range(count)]
        producer.flush(timeout=TIMEOUT_S)
        for f in futures:
            f.get(timeout=TIMEOUT_S)
        producer.close()

    def test_health_endpoints_and_errors(self):
        port = self.broker.http_port
        self.assertNotEqual(port, 0, "no HTTP:// line in the ready file")
        self.assertEqual(http_get(port, "/healthz")[0], 200)
        status, _, body = http_get(port, "/readyz")
        self.assertEqual((status, body), (200, "ready\n"))
        self.assertEqual(http_get(port, "/nope")[0], 404)
        self.assertTrue(raw_http(port, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
                        .startswith("HTTP/1.1 405 "))
        self.assertTrue(raw_http(port, b"NONSENSE\r\n\r\n").startswith("HTTP/1.1 400 "))
        self.assertTrue(raw_http(port, b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n")
                        .startswith("HTTP/1.1 431 "))
        # Partial writes: the head arrives in pieces.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            for piece in (b"GET /hea", b"lthz HTTP/1.1\r\n", b"Connection: close\r\n", b"\r\n"):
                s.sendall(piece)
                time.sleep(0.05)
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200 OK"))
        samples, types = self.scrape()
        self.assertEqual(one(samples, "keel_ready"), 1)
        self.assertEqual(types.get("keel_process_cpu_seconds_total"), "counter")
        self.assertGreater(one(samples, "keel_process_open_fds"), 0)
        self.assertGreater(one(samples, "keel_process_resident_memory_bytes"), 0)

    def test_metrics_follow_produce_consume_and_commit(self):
        old_ts = int(time.time() * 1000) - 120_000  # records two minutes old
        self.produce(20, old_ts)
        samples, _ = self.scrape()
        tp = dict(topic=TOPIC, partition=0)
        self.assertEqual(one(samples, "keel_partition_log_end_offset", **tp), 20)
        self.assertEqual(one(samples, "keel_partition_high_watermark", **tp), 20)
        self.assertEqual(one(samples, "keel_partition_log_start_offset", **tp), 0)
        self.assertGreater(one(samples, "keel_partition_size_bytes", **tp), 0)
        bytes_in = one(samples, "keel_topic_bytes_in_total", topic=TOPIC)
        self.assertGreater(bytes_in, 0)
        self.assertGreaterEqual(one(samples, "keel_requests_total", api="Produce"), 1)
        self.assertGreaterEqual(one(samples, "keel_request_duration_seconds_count", api="Produce"), 1)
        self.assertEqual(one(samples, "keel_request_duration_seconds_bucket", api="Produce", le="+Inf"),
                         one(samples, "keel_request_duration_seconds_count", api="Produce"))
        self.assertGreaterEqual(one(samples, "keel_log_flush_duration_seconds_count"), 1)
        self.assertGreaterEqual(one(samples, "keel_log_flush_batches_sum"), 1)
        self.assertGreaterEqual(one(samples, "keel_connections_accepted_total"), 1)

        # Consume 8 records in a group and commit offset 8.
        consumer = KafkaConsumer(bootstrap_servers=self.broker.bootstrap, group_id=GROUP,
                                 enable_auto_commit=False, auto_offset_reset="earliest",
                                 client_id="keel-metrics-test")
        self.addCleanup(consumer.close)
        part = TopicPartition(TOPIC, 0)
        consumer.assign([part])
        got = 0
        deadline = time.monotonic() + TIMEOUT_S
        while got < 8 and time.monotonic() < deadline:
            got += sum(len(r) for r in consumer.poll(timeout_ms=500, max_records=8 - got).values())
        self.assertEqual(got, 8)
        consumer.commit({part: OffsetAndMetadata(8, None)})

        samples, _ = self.scrape()
        group = dict(group=GROUP, topic=TOPIC, partition=0)
        self.assertEqual(one(samples, "keel_group_committed_offset", **group), 8)
        self.assertEqual(one(samples, "keel_group_lag_records", **group), 12)
        lag_s = one(samples, "keel_group_lag_seconds", **group)
        self.assertGreaterEqual(lag_s, 100)  # the records are two minutes old
        self.assertGreater(one(samples, "keel_topic_bytes_out_total", topic=TOPIC), 0)
        self.assertGreaterEqual(one(samples, "keel_requests_total", api="OffsetCommit"), 1)
        self.assertGreaterEqual(one(samples, "keel_connections"), 1)

        # Caught up: lag 0 in records and in seconds.
        consumer.commit({part: OffsetAndMetadata(20, None)})
        samples, _ = self.scrape()
        self.assertEqual(one(samples, "keel_group_lag_records", **group), 0)
        self.assertEqual(one(samples, "keel_group_lag_seconds", **group), 0)

        # More produce: bytes in grows, the log end offset follows.
        self.produce(5, int(time.time() * 1000))
        samples, _ = self.scrape()
        self.assertGreater(one(samples, "keel_topic_bytes_in_total", topic=TOPIC), bytes_in)
        self.assertEqual(one(samples, "keel_partition_log_end_offset", **tp), 25)
        self.assertEqual(one(samples, "keel_group_lag_records", **group), 5)

    def test_request_errors_are_counted_per_api_and_code(self):
        consumer = KafkaConsumer(bootstrap_servers=self.broker.bootstrap, group_id=None,
                                 client_id="keel-metrics-test", request_timeout_ms=15000)
        self.addCleanup(consumer.close)
        client = consumer._client
        node = None
        deadline = time.monotonic() + TIMEOUT_S
        while node is None and time.monotonic() < deadline:
            node = client.least_loaded_node()
            if node is not None and not client.ready(node):
                client.poll(timeout_ms=100)
                node = node if client.ready(node) else None
        self.assertIsNotNone(node)
        # ListOffsets for a topic that does not exist: UNKNOWN_TOPIC_OR_PARTITION (3).
        request = OffsetRequest[1](replica_id=-1, topics=[("no-such-topic", [(0, -1)])])
        future = client.send(node, request)
        client.poll(future=future, timeout_ms=10000)
        self.assertTrue(future.succeeded(), future.exception)
        samples, _ = self.scrape()
        self.assertEqual(one(samples, "keel_request_errors_total", api="ListOffsets", error_code=3), 1)
        self.assertGreaterEqual(one(samples, "keel_requests_total", api="ListOffsets"), 1)


if __name__ == "__main__":
    unittest.main()
