#include "keel/config/broker_config.h"

#include "gtest/gtest.h"

namespace keel::config {
namespace {

TEST(BrokerConfig, EmbeddedDefaultParses) {
  auto props = ParseProperties(EmbeddedDefaultConfig(), "embedded");
  ASSERT_TRUE(props.ok());
  auto c = BuildBrokerConfig(*props, {});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->listeners.size(), 1u);
  EXPECT_EQ(c->listeners[0].host, "127.0.0.1");
  EXPECT_EQ(c->listeners[0].port, 9092);
  EXPECT_EQ(c->advertised_listeners[0].port, 9092);
  EXPECT_EQ(c->log_dirs, std::vector<std::string>{"./data"});
  EXPECT_TRUE(c->auto_create_topics);
  EXPECT_EQ(c->topic_defaults.at("segment.bytes"), "1073741824");
}

TEST(BrokerConfig, OverridesWinOverFile) {
  auto c = BuildBrokerConfig({{"num.partitions", "3"}}, {{"num.partitions", "5"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->num_partitions, 5);
  auto it = std::find_if(c->entries.begin(), c->entries.end(),
                         [](const ConfigEntry& e) { return e.name == "num.partitions"; });
  ASSERT_NE(it, c->entries.end());
  EXPECT_EQ(it->source, ConfigSource::kOverride);
}

TEST(BrokerConfig, UnknownKeyIsAnError) {
  auto c = BuildBrokerConfig({{"no.such.key", "1"}}, {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no.such.key"), std::string::npos);
}

TEST(BrokerConfig, BadValuesNameTheKey) {
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"num.partitions", "zero"},
           {"num.partitions", "0"},
           {"auto.create.topics.enable", "maybe"},
           {"listeners", "127.0.0.1:9092"},
           {"listeners", "PLAINTEXT://host:99999"},
           {"log.message.timestamp.type", "Now"},
           {"logger.level", "loud"}}) {
    auto c = BuildBrokerConfig({{k, v}}, {});
    ASSERT_FALSE(c.ok()) << k << "=" << v;
    EXPECT_NE(c.status().message().find(k), std::string::npos) << c.status();
  }
}

TEST(BrokerConfig, AdvertisedListenersAreSeparate) {
  auto c = BuildBrokerConfig({{"listeners", "PLAINTEXT://0.0.0.0:9092"},
                              {"advertised.listeners", "PLAINTEXT://broker.example:19092"}},
                             {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listeners[0].host, "0.0.0.0");
  EXPECT_EQ(c->advertised_listeners[0].host, "broker.example");
  EXPECT_EQ(c->advertised_listeners[0].port, 19092);
}

TEST(BrokerConfig, TopicDefaultsFromBrokerKeys) {
  auto c = BuildBrokerConfig({{"log.retention.hours", "2"}, {"log.segment.bytes", "1048576"}}, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->topic_defaults.at("retention.ms"), "7200000");
  EXPECT_EQ(c->topic_defaults.at("segment.bytes"), "1048576");
}

TEST(BrokerConfig, ListenerParsesIpv6) {
  auto l = ParseListeners("PLAINTEXT://[::1]:9093");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ((*l)[0].host, "::1");
  EXPECT_EQ((*l)[0].port, 9093);
}

}  // namespace
TEST(BrokerConfig, EmbeddedDefaultTurnsTheHttpListenerOn) {
  auto props = ParseProperties(EmbeddedDefaultConfig(), "embedded");
  ASSERT_TRUE(props.ok());
  auto c = BuildBrokerConfig(*props, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->http_listener_host, "127.0.0.1");
  EXPECT_EQ(c->http_listener_port, 9644);
  EXPECT_EQ(c->shutdown_drain_ms, 10000);
}

TEST(BrokerConfig, QueuedMaxRequestBytesIsPositiveOrUnbounded) {
  auto def = BuildBrokerConfig({}, {});
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->queued_max_request_bytes, int64_t(256) << 20);
  auto unbounded = BuildBrokerConfig({}, {{"queued.max.request.bytes", "-1"}});
  ASSERT_TRUE(unbounded.ok()) << unbounded.status();
  EXPECT_EQ(unbounded->queued_max_request_bytes, -1);
  auto set = BuildBrokerConfig({}, {{"queued.max.request.bytes", "1048576"}});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->queued_max_request_bytes, 1048576);
  for (const char* bad : {"0", "-2", "lots"}) {
    auto c = BuildBrokerConfig({}, {{"queued.max.request.bytes", bad}});
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_NE(c.status().message().find("queued.max.request.bytes"), std::string::npos);
  }
}

TEST(BrokerConfig, HttpListenerIsOffByDefaultAndParsesHostPort) {
  auto off = BuildBrokerConfig({}, {});
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->http_listener_port, -1);
  auto on = BuildBrokerConfig({}, {{"http.listener", "[::1]:0"}, {"shutdown.drain.ms", "250"}});
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_EQ(on->http_listener_host, "::1");
  EXPECT_EQ(on->http_listener_port, 0);
  EXPECT_EQ(on->shutdown_drain_ms, 250);
  auto empty = BuildBrokerConfig({{"http.listener", "127.0.0.1:9644"}}, {{"http.listener", ""}});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->http_listener_port, -1);
}

TEST(BrokerConfig, HttpListenerRejectsBadValues) {
  for (std::string bad : {"localhost", "h:99999", "h:port"}) {
    EXPECT_FALSE(BuildBrokerConfig({}, {{"http.listener", bad}}).ok()) << bad;
  }
  EXPECT_FALSE(BuildBrokerConfig({}, {{"shutdown.drain.ms", "-1"}}).ok());
}

}  // namespace keel::config

namespace keel::config {
namespace {

TEST(BrokerConfig, ReplicationFactorPolicy) {
  auto d = BuildBrokerConfig({}, {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->replication_factor_policy, BrokerConfig::ReplicationFactorPolicy::kStrict);
  EXPECT_EQ(d->default_replication_factor, 1);
  // Above 1 on strict is a start-up error naming the policy key.
  auto bad = BuildBrokerConfig({{"default.replication.factor", "3"}}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("replication.factor.policy"), std::string::npos);
  auto ok = BuildBrokerConfig(
      {{"default.replication.factor", "3"}, {"replication.factor.policy", "accept"}}, {});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->replication_factor_policy, BrokerConfig::ReplicationFactorPolicy::kAccept);
  EXPECT_EQ(ok->default_replication_factor, 3);
  EXPECT_FALSE(BuildBrokerConfig({{"replication.factor.policy", "maybe"}}, {}).ok());
  EXPECT_FALSE(BuildBrokerConfig({{"default.replication.factor", "0"}}, {}).ok());
}

TEST(BrokerConfig, CompressionTypeIsATopicDefault) {
  auto c = BuildBrokerConfig({{"compression.type", "zstd"}, {"compression.zstd.level", "7"}}, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->topic_defaults.at("compression.type"), "zstd");
  EXPECT_EQ(c->topic_defaults.at("compression.zstd.level"), "7");
  auto d = BuildBrokerConfig({}, {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->topic_defaults.at("compression.type"), "producer");
  EXPECT_FALSE(BuildBrokerConfig({{"compression.type", "brotli"}}, {}).ok());
}

}  // namespace
}  // namespace keel::config
