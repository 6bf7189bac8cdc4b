"""A consume-transform-produce worker with exactly-once semantics, run as a
separate process by transactions_test.py (which kills it with SIGKILL at
random moments, and kills the broker under it).

It reads topic `in` in consumer group `eos` (read_committed, no auto
commit) and, for every batch of input records, produces one record per
input to topic `out` whose value names the input ("<partition>:<offset>"),
inside a transaction that also commits the consumed offsets
(send_offsets_to_transaction). Abortable errors abort the transaction and
rewind to the committed offsets; fatal ones exit with status 3 (the test
starts a new instance, which fences this one). Exits 0 once the group's
committed offsets reach the end of `in`.

Usage: txn_worker.py BOOTSTRAP INPUT_PARTITIONS
"""

import sys
import time

from confluent_kafka import (Consumer, KafkaError, KafkaException, Producer, TopicPartition)

BATCH = 20


def log(*args):
    sys.stderr.write("txn_worker: " + " ".join(str(a) for a in args) + "\n")
    sys.stderr.flush()


def main():
    bootstrap, partitions = sys.argv[1], int(sys.argv[2])
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "eos",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 2000,
        "heartbeat.interval.ms": 300,
        "enable.partition.eof": True,
    })
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "transactional.id": "eos-worker",
        "transaction.timeout.ms": 10000,
        "linger.ms": 5,
    })
    producer.init_transactions(60)
    consumer.subscribe(["in"])
    ends = None
    while True:
        msgs = consumer.consume(BATCH, 1.0)
        records = [m for m in msgs if m.error() is None]
        for m in msgs:
            if m.error() is not None and m.error().code() != KafkaError._PARTITION_EOF:
                log("consume error", m.error())
        if not records:
            if ends is None:
                ends = {p: consumer.get_watermark_offsets(TopicPartition("in", p), 10)[1]
                        for p in range(partitions)}
            committed = consumer.committed([TopicPartition("in", p) for p in range(partitions)], 10)
            if all(tp.offset == ends[tp.partition] for tp in committed):
                log("done: committed offsets reached the end of in")
                consumer.close()
                return 0
            continue
        try:
            producer.begin_transaction()
            for m in records:
                value = ("%d:%d" % (m.partition(), m.offset())).encode()
                producer.produce("out", key=m.key(), value=value)
            producer.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                                 consumer.consumer_group_metadata(), 30)
            producer.commit_transaction(30)
            log("committed", len(records))
        except KafkaException as e:
            err = e.args[0]
            if err.fatal():
                log("fatal:", err)
                return 3
            log("transaction failed, aborting:", err)
            try:
                producer.abort_transaction(30)
            except KafkaException as e2:
                log("abort failed:", e2.args[0])
                if e2.args[0].fatal():
                    return 3
            # Rewind to what the group committed, so the batch is redone.
            assignment = consumer.assignment()
            for tp in consumer.committed(assignment, 10):
                if tp.offset >= 0:
                    consumer.seek(tp)
                else:
                    consumer.seek(TopicPartition(tp.topic, tp.partition, 0))
            time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
