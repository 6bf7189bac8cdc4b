#include "keel/protocol/api_table.h"

#include "gtest/gtest.h"
#include "keel/protocol/messages/all.h"

namespace keel::protocol {
namespace {

TEST(ApiTableTest, SortedByKeyAndFindable) {
  std::span<const ApiDescriptor> apis = AllApis();
  ASSERT_FALSE(apis.empty());
  for (size_t i = 1; i < apis.size(); ++i) EXPECT_LT(apis[i - 1].key, apis[i].key);
  for (const ApiDescriptor& api : apis) {
    const ApiDescriptor* found = FindApi(api.key);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->name, api.name);
  }
  EXPECT_EQ(FindApi(int16_t{9999}), nullptr);
}

TEST(ApiTableTest, CoreApisHaveTheExpectedRanges) {
  const ApiDescriptor* produce = FindApi(ApiKey::kProduce);
  ASSERT_NE(produce, nullptr);
  EXPECT_EQ(produce->min_version, 0);
  EXPECT_EQ(produce->max_version, 11);
  EXPECT_EQ(produce->first_flexible_version, 9);
  const ApiDescriptor* fetch = FindApi(ApiKey::kFetch);
  ASSERT_NE(fetch, nullptr);
  EXPECT_EQ(fetch->min_version, 4);
  EXPECT_EQ(fetch->max_version, 15);
  EXPECT_EQ(fetch->first_flexible_version, 12);
  EXPECT_EQ(FindApi(ApiKey::kApiVersions)->max_version, 4);
  EXPECT_EQ(FindApi(ApiKey::kMetadata)->max_version, 12);
}

TEST(ApiTableTest, TableMatchesGeneratedMessageConstants) {
  EXPECT_EQ(ProduceRequest::kApiKey, 0);
  EXPECT_EQ(ProduceRequest::kFirstFlexibleVersion, 9);
  EXPECT_EQ(FetchResponse::kMinVersion, 4);
  for (const ApiDescriptor& api : AllApis()) {
    VisitApi(api.key, [&]<typename Req, typename Resp>() {
      EXPECT_EQ(Req::kApiKey, api.key);
      EXPECT_EQ(Resp::kApiKey, api.key);
      EXPECT_EQ(Req::kMinVersion, api.min_version);
      EXPECT_EQ(Req::kMaxVersion, api.max_version);
      EXPECT_EQ(Req::kFirstFlexibleVersion, api.first_flexible_version);
    });
  }
}

TEST(ApiTableTest, HeaderVersionsFollowFlexibility) {
  EXPECT_EQ(RequestHeaderVersion(0, 8), 1);
  EXPECT_EQ(RequestHeaderVersion(0, 9), 2);
  EXPECT_EQ(ResponseHeaderVersion(0, 8), 0);
  EXPECT_EQ(ResponseHeaderVersion(0, 9), 1);
  EXPECT_EQ(RequestHeaderVersion(1, 12), 2);
  EXPECT_EQ(RequestHeaderVersion(9999, 0), 1);
  EXPECT_EQ(RequestHeaderVersion(0, 99), 1);
}

TEST(ApiTableTest, ApiVersionsResponseHeaderIsAlwaysV0) {
  EXPECT_EQ(RequestHeaderVersion(18, 3), 2);
  for (int16_t v = 0; v <= 4; ++v) EXPECT_EQ(ResponseHeaderVersion(18, v), 0) << v;
}

}  // namespace
}  // namespace keel::protocol
