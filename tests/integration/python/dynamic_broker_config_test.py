"""Dynamic broker configs (KIP-226) against a real keel broker.

- confluent-kafka 1.7 (librdkafka 2.0.2) AlterConfigs v0 on the BROKER
  resource, named by node id and with the empty (cluster default) name,
  in the shape librdkafka's test 0081 sends (a topic resource and the broker
  resource in one request, sasl.kerberos.min.time.before.relogin on the
  broker); DescribeConfigs reports values and sources.
- A topic without its own override follows a new default at once: with
  log.segment.bytes lowered dynamically, its next records roll segments.
- kafka-python (librdkafka refuses an empty resource name): the cluster
  default set and described with IncrementalAlterConfigs v0 and
  DescribeConfigs v1; DELETE reverts a key.
- After a restart the dynamic values and their sources are still there.
"""

import os
import unittest

from confluent_kafka.admin import AdminClient, ConfigResource
from kafka import KafkaAdminClient
from kafka.protocol.admin import DescribeConfigsRequest_v1

from admin_api_test import (NONE, TIMEOUT_S, IncrementalAlterConfigsRequest_v0, create_topic,
                            describe_topic, produce)
from keel_broker import BrokerTestCase

DYNAMIC_BROKER_CONFIG = 2
DYNAMIC_DEFAULT_BROKER_CONFIG = 3
STATIC_BROKER_CONFIG = 4
DEFAULT_CONFIG = 5


def describe_broker(admin, name):
    res = ConfigResource(ConfigResource.Type.BROKER, name)
    return admin.describe_configs([res], request_timeout=15)[res].result(timeout=TIMEOUT_S)


def alter(admin, resources):
    futures = admin.alter_configs(resources, request_timeout=15)
    for f in futures.values():
        f.result(timeout=TIMEOUT_S)


def segment_files(data_dir, topic, partition):
    d = os.path.join(data_dir, "%s-%d" % (topic, partition))
    return sorted(f for f in os.listdir(d) if f.endswith(".log"))


class DynamicBrokerConfigTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"auto.create.topics.enable": "false", "log.retention.ms": "86400000"}

    def kp_send(self, request):
        if not hasattr(self, "kp"):
            self.kp = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap,
                                       client_id="keel-dyn-test", request_timeout_ms=15000)
            self.addCleanup(self.kp.close)
        future = self.kp._send_request_to_node(self.kp._client.least_loaded_node(), request)
        self.kp._wait_for_futures([future])
        return future.value

    def incremental(self, name, ops):
        response = self.kp_send(IncrementalAlterConfigsRequest_v0(
            resources=[(4, name, ops)], validate_only=False))
        return [r[0] for r in response.responses]

    def describe_cluster_default(self):
        """{name: (value, source)} of the empty-named BROKER resource."""
        response = self.kp_send(DescribeConfigsRequest_v1(resources=[(4, "", None)],
                                                          include_synonyms=True))
        ((error, _msg, _type, _name, entries),) = response.resources
        self.assertEqual(error, NONE)
        # kafka-python 2.0.2 decodes v1's config_source as a boolean
        # "is_default": read the source from the first synonym instead.
        return {e[0]: (e[1], e[5][0][2]) for e in entries}

    def test_alter_describe_follow_and_survive_restart(self):
        admin = create_topic(self.broker.bootstrap, "dyn-plain", 1)
        create_topic(self.broker.bootstrap, "dyn-own", 1, {"retention.ms": "1234"})
        before = describe_broker(admin, "0")["log.retention.ms"]
        self.assertEqual((before.value, before.source), ("86400000", STATIC_BROKER_CONFIG))

        # 0081's shape: a topic and the broker in one AlterConfigs.
        alter(admin, [
            ConfigResource(ConfigResource.Type.TOPIC, "dyn-own",
                           set_config={"retention.ms": "1234", "flush.ms": "12345678"}),
            ConfigResource(ConfigResource.Type.BROKER, "0",
                           set_config={"sasl.kerberos.min.time.before.relogin": "58000",
                                       "log.retention.ms": "3600000"}),
        ])
        # The cluster-wide default (empty name) sits below the per-broker level.
        self.assertEqual(self.incremental("", [("log.retention.ms", 0, "7200000"),
                                                ("log.segment.bytes", 0, "1024")]), [NONE])

        broker = describe_broker(admin, "0")
        self.assertEqual((broker["log.retention.ms"].value, broker["log.retention.ms"].source),
                         ("3600000", DYNAMIC_BROKER_CONFIG))
        self.assertEqual((broker["log.segment.bytes"].value, broker["log.segment.bytes"].source),
                         ("1024", DYNAMIC_DEFAULT_BROKER_CONFIG))
        self.assertEqual(broker["sasl.kerberos.min.time.before.relogin"].value, "58000")
        self.assertTrue(broker["log.dirs"].is_read_only)
        self.assertFalse(broker["log.retention.ms"].is_read_only)
        self.assertEqual(self.describe_cluster_default(),
                         {"log.retention.ms": ("7200000", DYNAMIC_DEFAULT_BROKER_CONFIG),
                          "log.segment.bytes": ("1024", DYNAMIC_DEFAULT_BROKER_CONFIG)})

        plain = describe_topic(admin, "dyn-plain")
        self.assertEqual(plain["retention.ms"].value, "3600000")
        self.assertEqual(plain["retention.ms"].source, DYNAMIC_BROKER_CONFIG)
        self.assertEqual(plain["segment.bytes"].value, "1024")
        self.assertEqual(describe_topic(admin, "dyn-own")["retention.ms"].value, "1234")

        # The live log follows the new segment size: each flush is one batch
        # of ~300 bytes, and a segment holding 1024 bytes or more rolls.
        self.assertEqual(len(segment_files(self.broker.data_dir, "dyn-plain", 0)), 1)
        for _ in range(6):
            produce(self.broker.bootstrap, "dyn-plain", 0, 30)
        rolled = len(segment_files(self.broker.data_dir, "dyn-plain", 0))
        self.assertGreater(rolled, 1)

        # IncrementalAlterConfigs DELETE reverts the per-broker key.
        self.assertEqual(self.incremental("0", [("log.retention.ms", 1, None)]), [NONE])
        after_delete = describe_broker(admin, "0")["log.retention.ms"]
        self.assertEqual((after_delete.value, after_delete.source),
                         ("7200000", DYNAMIC_DEFAULT_BROKER_CONFIG))

        # Restart: the dynamic values and their sources are kept.
        self.broker.stop()
        self.broker.start()
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        broker = describe_broker(admin, "0")
        self.assertEqual((broker["log.retention.ms"].value, broker["log.retention.ms"].source),
                         ("7200000", DYNAMIC_DEFAULT_BROKER_CONFIG))
        self.assertEqual(broker["sasl.kerberos.min.time.before.relogin"].value, "58000")
        self.assertEqual(broker["sasl.kerberos.min.time.before.relogin"].source,
                         DYNAMIC_BROKER_CONFIG)
        self.assertEqual(describe_topic(admin, "dyn-plain")["segment.bytes"].value, "1024")
        for _ in range(6):
            produce(self.broker.bootstrap, "dyn-plain", 0, 30)
        self.assertGreater(len(segment_files(self.broker.data_dir, "dyn-plain", 0)), rolled)


if __name__ == "__main__":
    unittest.main()
