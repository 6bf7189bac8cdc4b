// DynamicBrokerConfig: precedence of the dynamic levels, persistence across
// reopen, validate_only, read-only keys and the log-defaults sink.
#include "keel/server/dynamic_broker_config.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "testutil/temp_dir.h"

namespace keel::server {
namespace {

using Scope = DynamicBrokerConfig::Scope;

class DynamicBrokerConfigTest : public ::testing::Test {
 protected:
  config::BrokerConfig Static() {
    auto c = config::BuildBrokerConfig({{"log.retention.ms", "600000"}, {"node.id", "1"}},
                                       {{"log.segment.bytes", "4194304"}});
    EXPECT_TRUE(c.ok()) << c.status();
    return *c;
  }
  std::unique_ptr<DynamicBrokerConfig> Open() {
    auto d = DynamicBrokerConfig::Open(*fs_, tmp_.str(), Static());
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? std::move(*d) : nullptr;
  }
  const config::ConfigEntry& Entry(const DynamicBrokerConfig& d, const std::string& name) {
    static config::ConfigEntry none;
    for (const auto& e : d.current()->entries)
      if (e.name == name) return e;
    ADD_FAILURE() << "no entry " << name;
    return none;
  }

  testutil::TempDir tmp_;
  std::unique_ptr<storage::FileSystem> fs_ = storage::NewPosixFileSystem();
};

TEST_F(DynamicBrokerConfigTest, WithoutAFileTheStaticConfigIsInEffect) {
  auto d = Open();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->log_defaults().retention_ms, 600000);
  EXPECT_EQ(d->log_defaults().segment_bytes, 4194304);
  EXPECT_EQ(Entry(*d, "log.retention.ms").source, config::ConfigSource::kConfigFile);
  EXPECT_EQ(Entry(*d, "log.segment.bytes").source, config::ConfigSource::kOverride);
  EXPECT_FALSE(std::filesystem::exists(tmp_.str() + "/" + kDynamicBrokerConfigFile));
}

TEST_F(DynamicBrokerConfigTest, PerBrokerBeatsClusterDefaultBeatsStatic) {
  auto d = Open();
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(d->Replace(Scope::kClusterDefault, {{"log.retention.ms", "500000"}}, false).ok());
  EXPECT_EQ(d->log_defaults().retention_ms, 500000);
  EXPECT_EQ(Entry(*d, "log.retention.ms").source, config::ConfigSource::kDynamicDefault);
  ASSERT_TRUE(d->Replace(Scope::kBroker, {{"log.retention.ms", "400000"}}, false).ok());
  EXPECT_EQ(d->log_defaults().retention_ms, 400000);
  const auto& e = Entry(*d, "log.retention.ms");
  EXPECT_EQ(e.source, config::ConfigSource::kDynamicBroker);
  ASSERT_EQ(e.levels.size(), 4u);
  EXPECT_EQ(e.levels[1].value, "500000");
  EXPECT_EQ(e.levels[2].value, "600000");
  EXPECT_EQ(e.levels[3].source, config::ConfigSource::kDefault);
  // Removing the per-broker value reverts to the cluster default, then static.
  ASSERT_TRUE(d->Replace(Scope::kBroker, {}, false).ok());
  EXPECT_EQ(d->log_defaults().retention_ms, 500000);
  ASSERT_TRUE(d->Replace(Scope::kClusterDefault, {}, false).ok());
  EXPECT_EQ(d->log_defaults().retention_ms, 600000);
}

TEST_F(DynamicBrokerConfigTest, ADynamicLogRetentionMsBeatsAStaticHoursAlias) {
  auto c = config::BuildBrokerConfig({{"log.retention.hours", "1"}}, {}, {},
                                     {{"log.retention.ms", "5000"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->topic_defaults.at("retention.ms"), "5000");
  // ... and a static log.retention.ms beats a dynamic hours alias (Kafka's
  // key precedence, whatever the level).
  auto d = config::BuildBrokerConfig({{"log.retention.ms", "5000"}}, {}, {},
                                     {{"log.retention.hours", "2"}});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->topic_defaults.at("retention.ms"), "5000");
}

TEST_F(DynamicBrokerConfigTest, ChangesSurviveReopenAndTheFileIsReplacedAtomically) {
  {
    auto d = Open();
    ASSERT_NE(d, nullptr);
    ASSERT_TRUE(d->Replace(Scope::kClusterDefault, {{"log.cleanup.policy", "compact"}}, false).ok());
    ASSERT_TRUE(d->Replace(Scope::kBroker, {{"message.max.bytes", "2000000"}}, false).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(tmp_.str() + "/" + kDynamicBrokerConfigFile + ".tmp"));
  auto d = Open();
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->log_defaults().cleanup_compact);
  EXPECT_FALSE(d->log_defaults().cleanup_delete);
  EXPECT_EQ(d->log_defaults().max_message_bytes, 2000000);
  EXPECT_EQ(d->values(Scope::kBroker), (config::Properties{{"message.max.bytes", "2000000"}}));
  EXPECT_EQ(d->values(Scope::kClusterDefault),
            (config::Properties{{"log.cleanup.policy", "compact"}}));
}

TEST_F(DynamicBrokerConfigTest, ValidateOnlyAndRefusalsChangeNothing) {
  auto d = Open();
  ASSERT_NE(d, nullptr);
  int sink_calls = 0;
  d->SetLogDefaultsSink([&](const storage::LogConfig&) {
    ++sink_calls;
    return absl::OkStatus();
  });
  EXPECT_TRUE(d->Replace(Scope::kBroker, {{"log.retention.ms", "1000"}}, true).ok());
  auto read_only = d->Replace(Scope::kBroker, {{"log.dirs", "/x"}}, false);
  EXPECT_TRUE(absl::IsFailedPrecondition(read_only)) << read_only;
  EXPECT_NE(read_only.message().find("read-only at run time"), std::string::npos);
  auto bad = d->Replace(Scope::kBroker, {{"log.cleaner.min.cleanable.ratio", "lots"}}, false);
  EXPECT_TRUE(absl::IsInvalidArgument(bad)) << bad;
  EXPECT_EQ(sink_calls, 0);
  EXPECT_EQ(d->log_defaults().retention_ms, 600000);
  EXPECT_FALSE(std::filesystem::exists(tmp_.str() + "/" + kDynamicBrokerConfigFile));
  ASSERT_TRUE(d->Replace(Scope::kBroker, {{"log.retention.ms", "1000"}}, false).ok());
  EXPECT_EQ(sink_calls, 1);
}

TEST_F(DynamicBrokerConfigTest, StoredKeysThatAreNoLongerDynamicAreDroppedOnOpen) {
  {
    std::ofstream out(tmp_.str() + "/" + kDynamicBrokerConfigFile);
    out << "default.log.retention.ms=123000\nbroker.listeners=PLAINTEXT://x:1\n";
  }
  auto d = Open();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->log_defaults().retention_ms, 123000);
  EXPECT_TRUE(d->values(Scope::kBroker).empty());
}

TEST_F(DynamicBrokerConfigTest, AMalformedFileIsDataLossNamingIt) {
  {
    std::ofstream out(tmp_.str() + "/" + kDynamicBrokerConfigFile);
    out << "log.retention.ms=1\n";  // neither default. nor broker.
  }
  auto d = DynamicBrokerConfig::Open(*fs_, tmp_.str(), Static());
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(absl::IsDataLoss(d.status()));
  EXPECT_NE(d.status().message().find(kDynamicBrokerConfigFile), std::string::npos);
}

}  // namespace
}  // namespace keel::server
