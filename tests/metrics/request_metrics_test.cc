#include "keel/metrics/request_metrics.h"

#include <gtest/gtest.h>

#include "keel/metrics/registry.h"

namespace keel::metrics {
namespace {

std::string Name(int16_t k) { return k == 0 ? "Produce" : k == 1 ? "Fetch" : "Other"; }

TEST(RequestMetrics, CountsRequestsAndErrorsPerApiKey) {
  RequestMetrics m(Name);
  m.OnRequest(0, 0.002);
  m.OnRequest(0, 0.004);
  m.OnRequest(1, 0.5);
  m.OnError(0, 3);
  m.OnError(0, 0);     // not an error: ignored
  m.OnError(500, 3);   // out of range key: ignored
  EXPECT_EQ(m.requests(0), 2u);
  EXPECT_EQ(m.requests(1), 1u);
  EXPECT_EQ(m.errors(0, 3), 1u);
  EXPECT_EQ(m.errors(0, 0), 0u);
  ExpositionWriter w;
  m.Collect(w);
  const std::string& t = w.text();
  EXPECT_NE(t.find("keel_requests_total{api=\"Produce\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("keel_request_errors_total{api=\"Produce\",error_code=\"3\"} 1\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("keel_request_duration_seconds_count{api=\"Fetch\"} 1\n"), std::string::npos) << t;
  EXPECT_EQ(t.find("api=\"Other\""), std::string::npos) << t;
}

TEST(RequestMetrics, CountsBytesPerTopic) {
  RequestMetrics m(Name);
  m.AddBytesIn("orders", 100);
  m.AddBytesIn("orders", 50);
  m.AddBytesOut("orders", 70);
  ExpositionWriter w;
  m.Collect(w);
  EXPECT_NE(w.text().find("keel_topic_bytes_in_total{topic=\"orders\"} 150\n"), std::string::npos);
  EXPECT_NE(w.text().find("keel_topic_bytes_out_total{topic=\"orders\"} 70\n"), std::string::npos);
}

TEST(Registry, ScrapeRunsCollectorsInOrderAndClearRemovesThem) {
  Registry r;
  r.Add([](ExpositionWriter& w) { w.Sample("a", {}, 1); });
  r.Add([](ExpositionWriter& w) { w.Sample("b", {}, 2); });
  EXPECT_EQ(r.Scrape(), "a 1\nb 2\n");
  r.Clear();
  EXPECT_EQ(r.Scrape(), "");
}

}  // namespace
}  // namespace keel::metrics
