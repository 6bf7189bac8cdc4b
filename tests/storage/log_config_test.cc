#include "keel/storage/log_config.h"

#include <gtest/gtest.h>

namespace keel::storage {
namespace {

TEST(LogConfigTest, DefaultsMatchKafka) {
  LogConfig c;
  EXPECT_EQ(c.segment_bytes, 1073741824);
  EXPECT_EQ(c.segment_ms, 604800000);
  EXPECT_EQ(c.retention_ms, 604800000);
  EXPECT_EQ(c.retention_bytes, -1);
  EXPECT_EQ(c.index_interval_bytes, 4096);
  EXPECT_EQ(c.max_message_bytes, 1048588);
  EXPECT_TRUE(c.fsync_before_ack());
}

TEST(LogConfigTest, OverridesAreApplied) {
  auto c = LogConfig().WithOverrides({{"segment.bytes", "1024"},
                                      {"retention.ms", "-1"},
                                      {"flush.ms", "100"},
                                      {"message.timestamp.type", "LogAppendTime"},
                                      {"cleanup.policy", "compact,delete"},
                                      {"min.insync.replicas", "2"},
                                      {"preallocate", "true"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->segment_bytes, 1024);
  EXPECT_EQ(c->retention_ms, -1);
  EXPECT_EQ(c->flush_ms, 100);
  EXPECT_FALSE(c->fsync_before_ack());
  EXPECT_EQ(c->message_timestamp_type, TimestampType::kLogAppendTime);
  EXPECT_TRUE(c->cleanup_compact);
  EXPECT_TRUE(c->cleanup_delete);
  EXPECT_EQ(c->min_insync_replicas, 2);
  EXPECT_EQ(c->preallocate_bytes, 1024);
}

TEST(LogConfigTest, UnknownKeyIsRejectedByName) {
  auto c = LogConfig().WithOverrides({{"no.such.key", "1"}});
  EXPECT_TRUE(absl::IsInvalidArgument(c.status()));
  EXPECT_NE(c.status().message().find("no.such.key"), std::string::npos);
}

TEST(LogConfigTest, BadValuesAreRejectedByName) {
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"segment.bytes", "abc"},
           {"segment.bytes", "1"},
           {"retention.ms", "-2"},
           {"message.timestamp.type", "Whenever"},
           {"cleanup.policy", "delete,shred"},
           {"preallocate", "maybe"},
           {"segment.ms", "0"}}) {
    auto c = LogConfig().WithOverrides({{k, v}});
    EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << k << "=" << v;
    EXPECT_NE(c.status().message().find(k), std::string::npos) << c.status();
  }
}

TEST(LogConfigTest, DescribeListsEveryKnownKey) {
  auto described = LogConfig().Describe();
  std::vector<std::string> keys;
  for (auto& [k, v] : described) keys.push_back(k);
  EXPECT_EQ(keys, KnownTopicConfigKeys());
  for (auto& [k, v] : described) {
    if (k == "segment.bytes") EXPECT_EQ(v, "1073741824");
    if (k == "cleanup.policy") EXPECT_EQ(v, "delete");
  }
}

}  // namespace
}  // namespace keel::storage
