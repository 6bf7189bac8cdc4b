#include "keel/metrics/process_metrics.h"

#include <gtest/gtest.h>

namespace keel::metrics {
namespace {

TEST(ProcessMetrics, ParsesProcStatWithSpacesInTheCommandName) {
  // Fields 14/15 (utime, stime) = 250, 150 ticks; 23 vsize; 24 rss pages.
  std::string stat =
      "1234 (keel (a b)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 8 0 100 "
      "123456789 300 18446744073709551615";
  auto s = ParseProcStat(stat, 100, 4096);
  ASSERT_TRUE(s.has_value());
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 4.0);
  EXPECT_EQ(s->virtual_bytes, 123456789);
  EXPECT_EQ(s->resident_bytes, 300 * 4096);
}

TEST(ProcessMetrics, RejectsTruncatedStat) {
  EXPECT_FALSE(ParseProcStat("1234 (keel) S 1 2 3", 100, 4096).has_value());
  EXPECT_FALSE(ParseProcStat("garbage", 100, 4096).has_value());
}

TEST(ProcessMetrics, ReadsThisProcess) {
  ProcessStats s = ReadProcessStats();
  EXPECT_GE(s.open_fds, 3);  // stdin, stdout, stderr at least
  EXPECT_GT(s.resident_bytes, 0);
  EXPECT_GT(s.max_fds, 0);
}

}  // namespace
}  // namespace keel::metrics
