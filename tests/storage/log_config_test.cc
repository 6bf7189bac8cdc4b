#include "keel/storage/log_config.h"

#include <gtest/gtest.h>

#include "keel/common/compression.h"

#include <algorithm>
#include <map>

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

namespace keel::storage {
namespace {

TEST(LogConfigTest, CompressionTypeAndLevels) {
  LogConfig d;
  EXPECT_TRUE(d.compression_target().keep_producer);
  auto c = LogConfig().WithOverrides({{"compression.type", "zstd"}, {"compression.zstd.level", "9"}});
  ASSERT_TRUE(c.ok()) << c.status();
  auto t = c->compression_target();
  EXPECT_FALSE(t.keep_producer);
  EXPECT_EQ(t.codec, Compression::kZstd);
  EXPECT_EQ(t.level, 9);
  auto u = LogConfig().WithOverrides({{"compression.type", "uncompressed"}});
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->compression_target().keep_producer);
  EXPECT_EQ(u->compression_target().codec, Compression::kNone);
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"compression.type", "brotli"},
           {"compression.type", "ZSTD"},
           {"compression.type", "none"},
           {"compression.gzip.level", "0"},
           {"compression.gzip.level", "10"},
           {"compression.lz4.level", "18"},
           {"compression.zstd.level", "23"}}) {
    auto bad = LogConfig().WithOverrides({{k, v}});
    EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << k << "=" << v;
  }
  auto described = u->Describe();
  EXPECT_NE(std::find(described.begin(), described.end(),
                      std::make_pair(std::string("compression.type"), std::string("uncompressed"))),
            described.end());
}

TEST(LogConfigTest, IgnoredKeysAreValidatedAndDescribedBack) {
  // librdkafka's test 0092 sets message.format.version=0.10.0.0.
  auto c = LogConfig().WithOverrides({{"message.format.version", "0.10.0.0"},
                                      {"message.downconversion.enable", "false"},
                                      {"unclean.leader.election.enable", "true"},
                                      {"leader.replication.throttled.replicas", "0:1,1:2"},
                                      {"file.delete.delay.ms", "1000"},
                                      {"remote.storage.enable", "false"},
                                      {"local.retention.ms", "-2"}});
  ASSERT_TRUE(c.ok()) << c.status();
  std::map<std::string, std::string> m;
  for (auto& [k, v] : c->Describe()) m[k] = v;
  EXPECT_EQ(m["message.format.version"], "0.10.0.0");
  EXPECT_EQ(m["message.downconversion.enable"], "false");
  EXPECT_EQ(m["unclean.leader.election.enable"], "true");
  EXPECT_EQ(m["flush.messages"], "9223372036854775807");  // Kafka's default
  for (std::string ok : {"3.0-IV1", "2.8", "0.8.2", "3.9.0", "0.11.0-IV2"}) {
    EXPECT_TRUE(LogConfig().WithOverrides({{"message.format.version", ok}}).ok()) << ok;
  }
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"message.format.version", "banana"},
           {"message.format.version", "0.10"},
           {"message.downconversion.enable", "yes"},
           {"leader.replication.throttled.replicas", "0-1"},
           {"flush.messages", "0"},
           {"local.retention.bytes", "-3"}}) {
    auto bad = LogConfig().WithOverrides({{k, v}});
    EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << k << "=" << v;
  }
  // Tiered storage is refused with the reason.
  auto remote = LogConfig().WithOverrides({{"remote.storage.enable", "true"}});
  EXPECT_TRUE(absl::IsInvalidArgument(remote.status()));
  EXPECT_NE(remote.status().message().find("tiered"), std::string::npos) << remote.status();
}

TEST(LogConfigTest, TimestampBoundsAndDeprecatedDifference) {
  auto c = LogConfig().WithOverrides({{"message.timestamp.difference.max.ms", "1000"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->message_timestamp_before_max_ms, 1000);
  EXPECT_EQ(c->message_timestamp_after_max_ms, 1000);
  c = LogConfig().WithOverrides({{"message.timestamp.difference.max.ms", "1000"},
                                 {"message.timestamp.after.max.ms", "50"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->message_timestamp_before_max_ms, 1000);
  EXPECT_EQ(c->message_timestamp_after_max_ms, 50);
  c = LogConfig().WithOverrides({{"segment.jitter.ms", "100"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->segment_jitter_ms, 100);
}

}  // namespace
}  // namespace keel::storage
