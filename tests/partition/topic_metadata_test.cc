#include "keel/partition/topic_metadata.h"

#include <gtest/gtest.h>

namespace keel::partition {
namespace {

TEST(TopicMetadataTest, EncodeDecodeRoundTrip) {
  std::vector<TopicInfo> topics = {
      {"orders", Uuid::Random(), 3, {{"retention.ms", "1000"}, {"cleanup.policy", "compact,delete"}}, false},
      {"__consumer_offsets", Uuid::Random(), 50, {{"weird", "a\tb\nc\\d"}}, true},
  };
  auto decoded = DecodeTopics(EncodeTopics(topics));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*decoded)[i].name, topics[i].name);
    EXPECT_EQ((*decoded)[i].id, topics[i].id);
    EXPECT_EQ((*decoded)[i].partitions, topics[i].partitions);
    EXPECT_EQ((*decoded)[i].configs, topics[i].configs);
    EXPECT_EQ((*decoded)[i].internal, topics[i].internal);
  }
}

TEST(TopicMetadataTest, DamagedFileIsDataLoss) {
  std::string text = EncodeTopics({{"orders", Uuid::Random(), 3, {}, false}});
  std::string flipped = text;
  flipped[20] ^= 1;
  EXPECT_TRUE(absl::IsDataLoss(DecodeTopics(flipped).status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeTopics(text.substr(0, text.size() / 2)).status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeTopics("").status()));
}

TEST(TopicMetadataTest, TopicNamesFollowKafkaRules) {
  EXPECT_TRUE(ValidateTopicName("orders-v2.eu_west").ok());
  EXPECT_TRUE(ValidateTopicName(std::string(249, 'a')).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTopicName(std::string(250, 'a'))));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTopicName("")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTopicName(".")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTopicName("..")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTopicName("a/b")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTopicName("a b")));
}

TEST(TopicMetadataTest, InternalTopicsAreRecognized) {
  EXPECT_TRUE(IsInternalTopic("__consumer_offsets"));
  EXPECT_TRUE(IsInternalTopic("__transaction_state"));
  EXPECT_FALSE(IsInternalTopic("orders"));
}

}  // namespace
}  // namespace keel::partition

namespace keel::partition {
namespace {

TEST(TopicMetadataTest, ReplicationFactorIsRecordedOnlyWhenNotOne) {
  TopicInfo one{"a", Uuid::Random(), 1, {}, false};
  TopicInfo three{"b", Uuid::Random(), 2, {}, false, 3};
  std::string text = EncodeTopics({one, three});
  // A file without RF>1 topics keeps the 5-field topic lines older Keel reads.
  std::string only_one = EncodeTopics({one});
  EXPECT_EQ(only_one.find("\t1\t0\t"), std::string::npos);
  EXPECT_NE(only_one.find("topic\ta\t" + one.id.ToString() + "\t1\t0\n"), std::string::npos);
  auto decoded = DecodeTopics(text);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ((*decoded)[0].replication_factor, 1);
  EXPECT_EQ((*decoded)[1].replication_factor, 3);
  // A bad factor is damage, like any other bad field.
  std::string body = "keel-topics 1\ntopic\tc\t" + one.id.ToString() + "\t1\t0\t0\n";
  EXPECT_TRUE(absl::IsDataLoss(DecodeTopics(body + "crc\t00000000\n").status()));
}

}  // namespace
}  // namespace keel::partition
