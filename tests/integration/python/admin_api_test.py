"""Admin APIs against a real keel broker, through the Debian clients:

- confluent-kafka 1.7 (librdkafka 2.0.2): AdminClient.alter_configs
  (AlterConfigs v0) and describe_configs, including validate_only, bad values
  and broker resources.
- kafka-python 2.0.2: KafkaAdminClient.alter_configs (AlterConfigs v1), and,
  because that release has no helpers for them, DeleteRecords v1,
  DescribeLogDirs v1, ElectLeaders v1 and IncrementalAlterConfigs v0 sent as
  kafka-python protocol structs through its own connection layer, so the
  request bytes come from an encoder independent of keel's.

The flexible versions of these APIs are covered by
tests/integration/js/admin_api.test.mjs (@platformatic/kafka).
"""

import os
import unittest

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer
from confluent_kafka import TopicPartition as CkTopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource as KpConfigResource
from kafka.admin import ConfigResourceType
from kafka.protocol.api import Request, Response
from kafka.protocol.types import Array, Boolean, Int8, Int16, Int32, Int64, Schema, String

from keel_broker import BrokerTestCase

TIMEOUT_S = 30

NONE = 0
OFFSET_OUT_OF_RANGE = 1
UNKNOWN_TOPIC_OR_PARTITION = 3
INVALID_CONFIG = 40
INVALID_REQUEST = 42
ELECTION_NOT_NEEDED = 84

# ---- kafka-python protocol structs for APIs kafka-python 2.0.2 lacks ----------


class DeleteRecordsResponse_v1(Response):
    API_KEY = 21
    API_VERSION = 1
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("topics", Array(
            ("name", String("utf-8")),
            ("partitions", Array(
                ("partition_index", Int32),
                ("low_watermark", Int64),
                ("error_code", Int16))))))


class DeleteRecordsRequest_v1(Request):
    API_KEY = 21
    API_VERSION = 1
    RESPONSE_TYPE = DeleteRecordsResponse_v1
    SCHEMA = Schema(
        ("topics", Array(
            ("name", String("utf-8")),
            ("partitions", Array(
                ("partition_index", Int32),
                ("offset", Int64))))),
        ("timeout_ms", Int32))


class DescribeLogDirsResponse_v1(Response):
    API_KEY = 35
    API_VERSION = 1
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("results", Array(
            ("error_code", Int16),
            ("log_dir", String("utf-8")),
            ("topics", Array(
                ("name", String("utf-8")),
                ("partitions", Array(
                    ("partition_index", Int32),
                    ("partition_size", Int64),
                    ("offset_lag", Int64),
                    ("is_future_key", Boolean))))))))


class DescribeLogDirsRequest_v1(Request):
    API_KEY = 35
    API_VERSION = 1
    RESPONSE_TYPE = DescribeLogDirsResponse_v1
    SCHEMA = Schema(
        ("topics", Array(
            ("topic", String("utf-8")),
            ("partitions", Array(Int32)))))


class ElectLeadersResponse_v1(Response):
    API_KEY = 43
    API_VERSION = 1
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("replica_election_results", Array(
            ("topic", String("utf-8")),
            ("partition_result", Array(
                ("partition_id", Int32),
                ("error_code", Int16),
                ("error_message", String("utf-8")))))))


class ElectLeadersRequest_v1(Request):
    API_KEY = 43
    API_VERSION = 1
    RESPONSE_TYPE = ElectLeadersResponse_v1
    SCHEMA = Schema(
        ("election_type", Int8),
        ("topic_partitions", Array(
            ("topic", String("utf-8")),
            ("partitions", Array(Int32)))),
        ("timeout_ms", Int32))


class IncrementalAlterConfigsResponse_v0(Response):
    API_KEY = 44
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("responses", Array(
            ("error_code", Int16),
            ("error_message", String("utf-8")),
            ("resource_type", Int8),
            ("resource_name", String("utf-8")))))


class IncrementalAlterConfigsRequest_v0(Request):
    API_KEY = 44
    API_VERSION = 0
    RESPONSE_TYPE = IncrementalAlterConfigsResponse_v0
    SCHEMA = Schema(
        ("resources", Array(
            ("resource_type", Int8),
            ("resource_name", String("utf-8")),
            ("configs", Array(
                ("name", String("utf-8")),
                ("config_operation", Int8),
                ("value", String("utf-8")))))),
        ("validate_only", Boolean))


# ---- helpers ------------------------------------------------------------------


def create_topic(bootstrap, name, partitions, config=None):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1,
                                            config=config or {})], request_timeout=15)
    futures[name].result(timeout=TIMEOUT_S)
    return admin


def describe_topic(admin, name):
    res = ConfigResource(ConfigResource.Type.TOPIC, name)
    return admin.describe_configs([res], request_timeout=15)[res].result(timeout=TIMEOUT_S)


def produce(bootstrap, topic, partition, count):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    for i in range(count):
        producer.produce(topic, value=b"v%d" % i, partition=partition)
    if producer.flush(TIMEOUT_S) != 0:
        raise AssertionError("undelivered messages remain")


class ConfluentAlterConfigsTest(BrokerTestCase, unittest.TestCase):
    """AlterConfigs v0 as librdkafka 2.0.2 sends it (replace semantics)."""

    broker_settings = {"auto.create.topics.enable": "false"}

    def alter(self, admin, resource, validate_only=False):
        futures = admin.alter_configs([resource], request_timeout=15,
                                      validate_only=validate_only)
        return futures[resource].result(timeout=TIMEOUT_S)

    def test_alter_configs_replaces_the_overrides(self):
        admin = create_topic(self.broker.bootstrap, "ck-alter", 2,
                             {"retention.ms": "1000", "segment.ms": "60000"})
        default_retention = describe_topic(admin, "ck-alter")["retention.ms"]
        self.assertEqual(default_retention.value, "1000")
        self.alter(admin, ConfigResource(ConfigResource.Type.TOPIC, "ck-alter",
                                         set_config={"retention.bytes": "1048576",
                                                     "cleanup.policy": "compact,delete"}))
        configs = describe_topic(admin, "ck-alter")
        self.assertEqual(configs["retention.bytes"].value, "1048576")
        self.assertEqual(configs["retention.bytes"].source,
                         1)  # DYNAMIC_TOPIC_CONFIG
        self.assertEqual(sorted(configs["cleanup.policy"].value.split(",")),
                         ["compact", "delete"])
        # Not named: back to the broker default (7 days), no longer a topic override.
        self.assertEqual(configs["retention.ms"].value, "604800000")
        self.assertNotEqual(configs["retention.ms"].source, 1)
        self.assertNotEqual(configs["segment.ms"].source, 1)

    def test_validate_only_changes_nothing(self):
        admin = create_topic(self.broker.bootstrap, "ck-validate", 1, {"retention.ms": "1000"})
        self.alter(admin, ConfigResource(ConfigResource.Type.TOPIC, "ck-validate",
                                         set_config={"retention.ms": "5000"}),
                   validate_only=True)
        self.assertEqual(describe_topic(admin, "ck-validate")["retention.ms"].value, "1000")

    def test_bad_value_is_invalid_config(self):
        admin = create_topic(self.broker.bootstrap, "ck-bad", 1)
        with self.assertRaises(KafkaException) as cm:
            self.alter(admin, ConfigResource(ConfigResource.Type.TOPIC, "ck-bad",
                                             set_config={"retention.ms": "tomorrow"}))
        self.assertEqual(cm.exception.args[0].code(), KafkaError.INVALID_CONFIG)
        self.assertIn("retention.ms", cm.exception.args[0].str())

    def test_unknown_topic(self):
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        with self.assertRaises(KafkaException) as cm:
            self.alter(admin, ConfigResource(ConfigResource.Type.TOPIC, "ck-missing",
                                             set_config={"retention.ms": "5000"}))
        self.assertEqual(cm.exception.args[0].code(), KafkaError.UNKNOWN_TOPIC_OR_PART)

    def test_read_only_broker_configs_are_refused(self):
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        with self.assertRaises(KafkaException) as cm:
            self.alter(admin, ConfigResource(ConfigResource.Type.BROKER, "0",
                                             set_config={"num.io.threads": "4"}))
        self.assertEqual(cm.exception.args[0].code(), KafkaError.INVALID_REQUEST)
        self.assertIn("num.io.threads", cm.exception.args[0].str())
        self.assertIn("read-only at run time", cm.exception.args[0].str())


class KafkaPythonAdminTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"auto.create.topics.enable": "false"}

    def setUp(self):
        super().setUp()
        self.admin = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap,
                                      client_id="keel-admin-test", request_timeout_ms=15000)
        self.addCleanup(self.admin.close)

    def send(self, request):
        future = self.admin._send_request_to_node(self.admin._client.least_loaded_node(),
                                                  request)
        self.admin._wait_for_futures([future])
        return future.value

    def test_alter_configs_v1(self):
        ck = create_topic(self.broker.bootstrap, "kp-alter", 1, {"retention.ms": "1000"})
        response = self.admin.alter_configs([KpConfigResource(
            ConfigResourceType.TOPIC, "kp-alter", configs={"max.message.bytes": "65536"})])
        self.assertEqual(response.API_VERSION, 1)
        ((error, _message, rtype, name),) = response.resources
        self.assertEqual((error, rtype, name), (NONE, 2, "kp-alter"))
        configs = describe_topic(ck, "kp-alter")
        self.assertEqual(configs["max.message.bytes"].value, "65536")
        self.assertEqual(configs["retention.ms"].value, "604800000")

    def test_delete_records_v1(self):
        ck = create_topic(self.broker.bootstrap, "kp-delete", 2)
        produce(self.broker.bootstrap, "kp-delete", 0, 10)
        produce(self.broker.bootstrap, "kp-delete", 1, 6)
        response = self.send(DeleteRecordsRequest_v1(
            topics=[("kp-delete", [(0, 4), (1, -1), (2, 0)]),
                    ("kp-missing", [(0, 0)])],
            timeout_ms=10000))
        results = {(t[0], p[0]): (p[1], p[2]) for t in response.topics for p in t[1]}
        self.assertEqual(results[("kp-delete", 0)], (4, NONE))
        self.assertEqual(results[("kp-delete", 1)], (6, NONE))  # -1 = high watermark
        self.assertEqual(results[("kp-delete", 2)], (-1, UNKNOWN_TOPIC_OR_PARTITION))
        self.assertEqual(results[("kp-missing", 0)], (-1, UNKNOWN_TOPIC_OR_PARTITION))

        above = self.send(DeleteRecordsRequest_v1(topics=[("kp-delete", [(0, 11)])],
                                                  timeout_ms=10000))
        self.assertEqual(above.topics[0][1][0][1:], (-1, OFFSET_OUT_OF_RANGE))

        # What a consumer sees: the log now starts at 4 (ListOffsets earliest)
        # and reading from the beginning yields offsets 4..9.
        consumer = Consumer({"bootstrap.servers": self.broker.bootstrap,
                             "group.id": "kp-delete-reader", "enable.auto.commit": False})
        self.addCleanup(consumer.close)
        low, high = consumer.get_watermark_offsets(CkTopicPartition("kp-delete", 0),
                                                   timeout=TIMEOUT_S)
        self.assertEqual((low, high), (4, 10))
        consumer.assign([CkTopicPartition("kp-delete", 0, OFFSET_BEGINNING)])
        offsets = []
        for _ in range(40):
            for msg in consumer.consume(num_messages=100, timeout=0.5):
                if msg.error() is None:
                    offsets.append(msg.offset())
            if len(offsets) >= 6:
                break
        self.assertEqual(offsets, list(range(4, 10)))
        del ck

    def test_describe_log_dirs_v1(self):
        create_topic(self.broker.bootstrap, "kp-dirs", 2)
        produce(self.broker.bootstrap, "kp-dirs", 1, 20)
        response = self.send(DescribeLogDirsRequest_v1(topics=None))
        self.assertEqual(len(response.results), 1)
        error, log_dir, topics = response.results[0]
        self.assertEqual(error, NONE)
        self.assertEqual(os.path.realpath(log_dir), os.path.realpath(self.broker.data_dir))
        parts = {p[0]: p for t in topics if t[0] == "kp-dirs" for p in t[1]}
        self.assertEqual(sorted(parts), [0, 1])
        self.assertEqual(parts[0][1], 0)
        self.assertGreater(parts[1][1], 20 * 2)  # 20 records of at least 2 bytes each
        for p in parts.values():
            self.assertEqual(p[2:], (0, False))

        only = self.send(DescribeLogDirsRequest_v1(topics=[("kp-dirs", [1, 9])]))
        listed = [(t[0], p[0]) for t in only.results[0][2] for p in t[1]]
        self.assertEqual(listed, [("kp-dirs", 1)])

    def test_elect_leaders_v1(self):
        create_topic(self.broker.bootstrap, "kp-elect", 2)
        response = self.send(ElectLeadersRequest_v1(
            election_type=0,
            topic_partitions=[("kp-elect", [0, 1, 5]), ("kp-nope", [0])],
            timeout_ms=10000))
        self.assertEqual(response.error_code, NONE)
        results = {(t[0], p[0]): p[1] for t in response.replica_election_results for p in t[1]}
        self.assertEqual(results, {("kp-elect", 0): ELECTION_NOT_NEEDED,
                                   ("kp-elect", 1): ELECTION_NOT_NEEDED,
                                   ("kp-elect", 5): UNKNOWN_TOPIC_OR_PARTITION,
                                   ("kp-nope", 0): UNKNOWN_TOPIC_OR_PARTITION})

    def test_incremental_alter_configs_v0(self):
        ck = create_topic(self.broker.bootstrap, "kp-incr", 1,
                          {"retention.ms": "1000", "segment.ms": "60000"})
        response = self.send(IncrementalAlterConfigsRequest_v0(
            resources=[(2, "kp-incr", [("cleanup.policy", 2, "compact"),   # APPEND
                                       ("retention.ms", 1, None),          # DELETE
                                       ("max.message.bytes", 0, "4096")]),  # SET
                       (2, "kp-missing", [("retention.ms", 0, "1")]),
                       (2, "kp-incr-dup", []), (2, "kp-incr-dup", []),
                       (4, "0", [("log.dirs", 0, "/elsewhere")])],  # read-only
            validate_only=False))
        errors = [r[0] for r in response.responses]
        self.assertEqual(errors, [NONE, UNKNOWN_TOPIC_OR_PARTITION, INVALID_REQUEST,
                                  INVALID_REQUEST, INVALID_REQUEST])
        configs = describe_topic(ck, "kp-incr")
        self.assertEqual(configs["cleanup.policy"].value, "delete,compact")
        self.assertEqual(configs["max.message.bytes"].value, "4096")
        self.assertEqual(configs["segment.ms"].value, "60000")      # kept
        self.assertEqual(configs["retention.ms"].value, "604800000")  # deleted -> default

        bad = self.send(IncrementalAlterConfigsRequest_v0(
            resources=[(2, "kp-incr", [("retention.ms", 2, "5")])], validate_only=False))
        self.assertEqual(bad.responses[0][0], INVALID_CONFIG)
        self.assertIn("retention.ms", bad.responses[0][1])


if __name__ == "__main__":
    unittest.main()
