"""keel's shutdown lifecycle against the real executable:

- SIGTERM while a producer (acks=all) sends continuously: keel exits 0, and
  after a restart (clean, no recovery) every acknowledged record is there.

- SIGTERM while a request waits (a long-poll Fetch, parked on the log's
  high watermark): the listeners stop accepting, /readyz turns 503 while
  /healthz stays 200, the waiting request still gets its response, keel
  exits 0 within shutdown.drain.ms, and the next start reports a clean
  shutdown (no recovery).
- A second signal while draining exits at once (non-zero), and the next
  start recovers (unclean shutdown).
"""

import os
import signal
import socket
import struct
import threading
import time
import unittest

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from keel_broker import KeelBroker, _recv_exact
from keel_http import http_get

TOPIC = "lifecycle-topic"
CLEAN_LINE = "previous shutdown was clean (no recovery)"
UNCLEAN_LINE = "after an unclean shutdown"


def fetch_v4(topic, offset, max_wait_ms, correlation_id):
    client = b"keel-lifecycle"
    header = struct.pack(">hhih", 1, 4, correlation_id, len(client)) + client
    name = topic.encode()
    body = struct.pack(">iiiib", -1, max_wait_ms, 1, 1 << 20, 0)
    body += struct.pack(">i", 1) + struct.pack(">h", len(name)) + name
    body += struct.pack(">i", 1) + struct.pack(">iqi", 0, offset, 1 << 20)
    frame = header + body
    return struct.pack(">i", len(frame)) + frame


class LifecycleTest(unittest.TestCase):
    def start(self, broker):
        broker.start()
        return broker

    def new_broker(self, settings):
        broker = KeelBroker(settings)
        self.addCleanup(broker.cleanup)
        return broker

    def produce(self, broker, count):
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all",
                                 client_id="keel-lifecycle-test")
        for i in range(count):
            producer.send(TOPIC, value=b"r%d" % i, partition=0)
        producer.flush(timeout=30)
        producer.close()

    def log_since(self, broker, offset):
        with open(broker.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    def log_size(self, broker):
        return os.path.getsize(broker.log_path)

    def wait_exit(self, broker, timeout):
        start = time.monotonic()
        try:
            rc = broker.proc.wait(timeout=timeout)
        except Exception:
            self.fail("keel still running %.1f s after the signal:\n%s" % (timeout, broker.log_tail()))
        return rc, time.monotonic() - start

    def test_sigterm_drains_in_flight_request_and_exits_clean(self):
        broker = self.start(self.new_broker({"shutdown.drain.ms": "8000", "num.partitions": "1"}))
        self.produce(broker, 5)
        http_port = broker.http_port
        self.assertEqual(http_get(http_port, "/readyz")[0], 200)

        # A long poll at the log end: parked in the broker until max_wait.
        sock = socket.create_connection(("127.0.0.1", broker.port), timeout=20)
        self.addCleanup(sock.close)
        sock.sendall(fetch_v4(TOPIC, 5, 3000, 4242))
        time.sleep(0.5)  # the request is in flight
        sent_at = time.monotonic()
        broker.proc.send_signal(signal.SIGTERM)

        # While it drains: not ready, still alive, no new Kafka connections.
        deadline = time.monotonic() + 2
        status = None
        while time.monotonic() < deadline:
            status = http_get(http_port, "/readyz")[0]
            if status == 503:
                break
            time.sleep(0.05)
        self.assertEqual(status, 503)
        self.assertEqual(http_get(http_port, "/healthz")[0], 200)
        refused = False
        deadline = time.monotonic() + 2
        while not refused and time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", broker.port), timeout=2).close()
                time.sleep(0.05)
            except OSError:
                refused = True
        self.assertTrue(refused, "the Kafka listener still accepts while draining")

        # The parked request is answered, then the connection is closed.
        size = struct.unpack(">i", _recv_exact(sock, 4))[0]
        response = _recv_exact(sock, size)
        self.assertEqual(struct.unpack_from(">i", response, 0)[0], 4242)
        self.assertEqual(sock.recv(1), b"")

        rc, _ = self.wait_exit(broker, 15)
        self.assertEqual(rc, 0, broker.log_tail())
        self.assertLess(time.monotonic() - sent_at, 8 + 5, "exit took longer than the drain bound")
        broker.proc = None

        # Next start: clean shutdown, no recovery; the data is all there.
        offset = self.log_size(broker)
        broker.start()
        log = self.log_since(broker, offset)
        self.assertIn(CLEAN_LINE, log)
        self.assertNotIn(UNCLEAN_LINE, log)

    def test_sigterm_during_produce_keeps_every_acknowledged_record(self):
        broker = self.start(self.new_broker({"shutdown.drain.ms": "5000", "num.partitions": "1"}))
        self.produce(broker, 1)  # creates the topic
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", retries=0,
                                 linger_ms=0, request_timeout_ms=5000, max_block_ms=5000,
                                 reconnect_backoff_max_ms=200, client_id="keel-lifecycle-test")
        self.addCleanup(producer.close, 1)
        acked, stop = [], threading.Event()

        def send_loop():
            i = 0
            while not stop.is_set():
                value = b"p%06d" % i
                i += 1
                try:
                    producer.send(TOPIC, value=value, partition=0).add_callback(
                        lambda _md, v=value: acked.append(v))
                except Exception:  # the broker went away: keep trying until stopped
                    time.sleep(0.01)
                time.sleep(0.002)

        sender = threading.Thread(target=send_loop, daemon=True)
        sender.start()
        deadline = time.monotonic() + 20
        while len(acked) < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertGreaterEqual(len(acked), 50, "the producer got no acknowledgements")
        broker.proc.send_signal(signal.SIGTERM)
        rc, _ = self.wait_exit(broker, 15)
        stop.set()
        sender.join(10)
        self.assertEqual(rc, 0, broker.log_tail())
        broker.proc = None
        acked_now = set(acked)

        offset = self.log_size(broker)
        broker.start()
        self.assertIn(CLEAN_LINE, self.log_since(broker, offset))
        consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None,
                                 enable_auto_commit=False, client_id="keel-lifecycle-test")
        self.addCleanup(consumer.close)
        part = TopicPartition(TOPIC, 0)
        consumer.assign([part])
        consumer.seek_to_beginning(part)
        end = consumer.end_offsets([part])[part]
        stored = set()
        deadline = time.monotonic() + 30
        while consumer.position(part) < end and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                stored.update(r.value for r in records)
        self.assertEqual(acked_now - stored, set(), "acknowledged records lost")

    def test_second_signal_exits_at_once_and_next_start_recovers(self):
        broker = self.start(self.new_broker({"shutdown.drain.ms": "30000", "num.partitions": "1"}))
        self.produce(broker, 3)
        sock = socket.create_connection(("127.0.0.1", broker.port), timeout=20)
        self.addCleanup(sock.close)
        sock.sendall(fetch_v4(TOPIC, 3, 25000, 7))  # parked for 25 s
        time.sleep(0.5)
        broker.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        self.assertIsNone(broker.proc.poll(), "keel should still be draining")
        broker.proc.send_signal(signal.SIGTERM)
        rc, took = self.wait_exit(broker, 5)
        self.assertNotEqual(rc, 0)
        self.assertLess(took, 5)
        broker.proc = None

        offset = self.log_size(broker)
        broker.start()
        self.assertIn(UNCLEAN_LINE, self.log_since(broker, offset))


if __name__ == "__main__":
    unittest.main()
