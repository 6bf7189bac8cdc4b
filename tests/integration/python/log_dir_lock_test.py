"""Log dir locking against the real keel executable.

- A second keel started on the log dir of a running one exits non-zero
  naming the dir and the first one's pid, and the first keeps serving every
  record (nothing truncated, no clean-shutdown marker written under it).
- After a kill -9 of the first, the `.lock` file is still there (stale: the
  kernel lock died with the process) and a restart on the same dir recovers
  normally.
"""

import os
import subprocess
import unittest

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from keel_broker import KeelBroker

TOPIC = "lock-topic"
UNCLEAN_LINE = "after an unclean shutdown"


def produce(broker, start, count):
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all",
                             client_id="keel-lock-test")
    for i in range(start, start + count):
        producer.send(TOPIC, value=b"r%d" % i, partition=0)
    producer.flush(timeout=30)
    producer.close()


def consume_all(broker, expected):
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=10000,
                             client_id="keel-lock-test")
    tp = TopicPartition(TOPIC, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    values = []
    for msg in consumer:  # bounded by consumer_timeout_ms
        values.append(msg.value)
        if len(values) >= expected:
            break
    consumer.close()
    return values


class LogDirLockTest(unittest.TestCase):
    def setUp(self):
        self.broker = KeelBroker()
        self.addCleanup(self.broker.cleanup)
        self.broker.start()

    def run_second_keel(self):
        """Starts keel on the first one's data dir; returns (exit code, output)."""
        args = [self.broker.binary,
                "--set", "listeners=PLAINTEXT://127.0.0.1:0",
                "--set", "http.listener=127.0.0.1:0",
                "--set", "log.dirs=" + self.broker.data_dir]
        proc = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=30)
        return proc.returncode, proc.stdout.decode("utf-8", "replace")

    def test_second_broker_on_a_live_dir_refuses_to_start(self):
        produce(self.broker, 0, 20)
        first_pid = self.broker.proc.pid
        code, output = self.run_second_keel()
        self.assertNotEqual(code, 0, output)
        self.assertIn("log dir %s is locked by another process (pid %d)"
                      % (self.broker.data_dir, first_pid), output)
        # It stopped before opening any partition.
        self.assertNotIn("opened", output)
        # The first broker is untouched and keeps serving and accepting.
        self.assertIsNone(self.broker.proc.poll())
        produce(self.broker, 20, 5)
        self.assertEqual(consume_all(self.broker, 25), [b"r%d" % i for i in range(25)])
        # A kill -9 of the first is recovered as unclean: the refused second
        # keel wrote no clean-shutdown marker.
        self.broker.kill()
        self.broker.start()
        self.assertIn(UNCLEAN_LINE, self.broker.log_tail(65536))
        self.assertEqual(consume_all(self.broker, 25), [b"r%d" % i for i in range(25)])

    def test_stale_lock_file_after_kill_does_not_block_restart(self):
        produce(self.broker, 0, 10)
        killed_pid = self.broker.proc.pid
        self.broker.kill()
        lock_path = os.path.join(self.broker.data_dir, ".lock")
        with open(lock_path) as f:
            self.assertEqual(f.read().strip(), str(killed_pid))
        self.broker.start()
        with open(lock_path) as f:
            self.assertEqual(f.read().strip(), str(self.broker.proc.pid))
        self.assertEqual(consume_all(self.broker, 10), [b"r%d" % i for i in range(10)])


if __name__ == "__main__":
    unittest.main()
