"""Idempotent producers against a real keel broker, through a TCP proxy that
loses produce answers.

The proxy sits between confluent-kafka (librdkafka) and keel; keel
advertises the proxy's address so every client connection goes through it.
For some Produce requests the proxy forwards the request, waits for keel's
answer and then closes both sockets instead of delivering it: the batch is
written but the client never hears so, and retries it on a new connection
with the same producer id, epoch and sequence. Keel must recognize each
retry and answer with the original offsets. The test then reads every
partition directly and checks each record exactly once, in produce order.
"""

import socket
import struct
import threading
import time
import unittest

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from keel_broker import KeelBroker

TIMEOUT_S = 60
PARTITIONS = 3
MESSAGES = 3000
PRODUCE_API_KEY = 0


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return bytes(buf)


def recv_frame(sock):
    size = struct.unpack(">i", recv_exact(sock, 4))[0]
    return recv_exact(sock, size)


class AnswerLosingProxy:
    """Forwards Kafka connections to `target_port`; cuts the connection after
    keel answered every `cut_every`-th Produce request (up to `max_cuts`)."""

    def __init__(self, cut_every=7, max_cuts=12):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.target_port = None
        self.cut_every = cut_every
        self.max_cuts = max_cuts
        self.lock = threading.Lock()
        self.produces = 0
        self.cuts = 0
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            conn = {"client": client, "upstream": upstream, "cut_correlation": None}
            threading.Thread(target=self._client_to_broker, args=(conn,), daemon=True).start()
            threading.Thread(target=self._broker_to_client, args=(conn,), daemon=True).start()

    def _close(self, conn):
        for s in (conn["client"], conn["upstream"]):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _client_to_broker(self, conn):
        try:
            while True:
                frame = recv_frame(conn["client"])
                api_key, _, correlation = struct.unpack_from(">hhi", frame, 0)
                if api_key == PRODUCE_API_KEY:
                    with self.lock:
                        self.produces += 1
                        if (self.produces % self.cut_every == 0 and self.cuts < self.max_cuts
                                and conn["cut_correlation"] is None):
                            conn["cut_correlation"] = correlation
                conn["upstream"].sendall(struct.pack(">i", len(frame)) + frame)
        except (OSError, ConnectionError, struct.error):
            self._close(conn)

    def _broker_to_client(self, conn):
        try:
            while True:
                frame = recv_frame(conn["upstream"])
                correlation = struct.unpack_from(">i", frame, 0)[0]
                if correlation == conn["cut_correlation"]:
                    with self.lock:
                        self.cuts += 1
                    self._close(conn)  # written by keel, never answered
                    return
                conn["client"].sendall(struct.pack(">i", len(frame)) + frame)
        except (OSError, ConnectionError, struct.error):
            self._close(conn)

    def stop(self):
        self.stopped = True
        self.listener.close()


class IdempotenceTest(unittest.TestCase):
    def setUp(self):
        self.proxy = AnswerLosingProxy()
        self.addCleanup(self.proxy.stop)
        self.broker = KeelBroker({
            "auto.create.topics.enable": "false",
            "advertised.listeners": "PLAINTEXT://127.0.0.1:%d" % self.proxy.port,
            "offsets.topic.num.partitions": "1",
            "logger.level": "debug",
        }).start()
        self.addCleanup(self.broker.cleanup)
        self.proxy.target_port = self.broker.port
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        futures = admin.create_topics([NewTopic("steps", num_partitions=PARTITIONS,
                                                replication_factor=1)])
        for f in futures.values():
            f.result(timeout=TIMEOUT_S)

    def test_retries_after_lost_answers_write_each_record_once_in_order(self):
        producer = Producer({
            "bootstrap.servers": "127.0.0.1:%d" % self.proxy.port,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 2,
            "batch.num.messages": 50,
            "max.in.flight.requests.per.connection": 5,
            "message.timeout.ms": 120000,
            "socket.timeout.ms": 10000,
            "retry.backoff.ms": 20,
            "reconnect.backoff.ms": 10,
            "reconnect.backoff.max.ms": 100,
        })
        errors = []
        delivered = {}

        def on_delivery(err, msg):
            if err is not None:
                errors.append(err)
            else:
                delivered[int(msg.value())] = (msg.partition(), msg.offset())

        for i in range(MESSAGES):
            key = ("agent-%d" % (i % 10)).encode()
            producer.produce("steps", key=key, value=str(i).encode(), on_delivery=on_delivery)
            producer.poll(0)
            if i % 200 == 0:
                time.sleep(0.02)  # spread the load over many requests
        remaining = producer.flush(TIMEOUT_S)
        self.assertEqual(remaining, 0, "undelivered records\n" + self.broker.log_tail())
        self.assertEqual(errors, [])
        self.assertEqual(len(delivered), MESSAGES)
        self.assertGreaterEqual(self.proxy.cuts, 5,
                                "the proxy should have lost several answers (%d produces)"
                                % self.proxy.produces)
        with open(self.broker.log_path, errors="replace") as f:
            retried = sum("retried batch, answered with its original offsets" in line for line in f)
        self.assertGreater(retried, 0, "no retry reached keel as a duplicate")
        print("idempotence: %d produce requests, %d answers lost, %d retries deduplicated"
              % (self.proxy.produces, self.proxy.cuts, retried))

        # Read every partition back. keel advertises the proxy, so the
        # consumer goes through it too; the proxy only ever cuts produces.
        consumer = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": "check",
                             "enable.auto.commit": False, "enable.partition.eof": True})
        consumer.assign([TopicPartition("steps", p, 0) for p in range(PARTITIONS)])
        seen = []
        eof = set()
        deadline = time.monotonic() + TIMEOUT_S
        while len(eof) < PARTITIONS and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(msg.partition())
                    continue
                self.fail("consume error %s" % msg.error())
            seen.append((msg.partition(), msg.offset(), msg.key().decode(), int(msg.value())))
        consumer.close()
        self.assertEqual(len(eof), PARTITIONS, "did not read every partition to its end")

        values = [v for _, _, _, v in seen]
        self.assertEqual(len(values), len(set(values)), "duplicates were written")
        self.assertEqual(sorted(values), list(range(MESSAGES)), "records were lost")
        # Per key (one partition each), records are in produce order, at the
        # offsets the delivery reports gave.
        by_key = {}
        for partition, offset, key, value in seen:
            by_key.setdefault(key, []).append(value)
            self.assertEqual(delivered[value], (partition, offset))
        for key, vals in by_key.items():
            self.assertEqual(vals, sorted(vals), "order broken for %s" % key)


if __name__ == "__main__":
    unittest.main()
