#include "keel/metrics/exposition.h"

#include <gtest/gtest.h>

#include "keel/metrics/histogram.h"

namespace keel::metrics {
namespace {

TEST(Exposition, WritesHelpAndTypeBeforeSamples) {
  ExpositionWriter w;
  w.Family("keel_requests_total", "Requests.", MetricType::kCounter);
  w.Sample("keel_requests_total", {{"api", "Produce"}}, 3);
  EXPECT_EQ(w.text(),
            "# HELP keel_requests_total Requests.\n"
            "# TYPE keel_requests_total counter\n"
            "keel_requests_total{api=\"Produce\"} 3\n");
}

TEST(Exposition, EscapesLabelValues) {
  ExpositionWriter w;
  w.Sample("m", {{"topic", "a\\b\"c\nd"}, {"x", "plain"}}, 1);
  EXPECT_EQ(w.text(), "m{topic=\"a\\\\b\\\"c\\nd\",x=\"plain\"} 1\n");
  EXPECT_EQ(EscapeLabelValue("no escapes"), "no escapes");
}

TEST(Exposition, EscapesHelpBackslashAndNewlineOnly) {
  ExpositionWriter w;
  w.Family("g", "a \"quoted\" \\ help\nline", MetricType::kGauge);
  EXPECT_EQ(w.text(), "# HELP g a \"quoted\" \\\\ help\\nline\n# TYPE g gauge\n");
}

TEST(Exposition, SampleWithoutLabelsHasNoBraces) {
  ExpositionWriter w;
  w.Sample("keel_connections", {}, 0);
  EXPECT_EQ(w.text(), "keel_connections 0\n");
}

TEST(Exposition, FormatsSpecialAndFractionalValues) {
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(12345678), "12345678");
  EXPECT_EQ(FormatValue(-3), "-3");
}

TEST(Exposition, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Histogram h({0.1, 1, 10});
  h.Observe(0.05);  // bucket 0.1
  h.Observe(0.1);   // le is inclusive: bucket 0.1
  h.Observe(0.5);   // bucket 1
  h.Observe(100);   // only +Inf
  ExpositionWriter w;
  w.Family("lat_seconds", "Latency.", MetricType::kHistogram);
  w.Histogram("lat_seconds", {{"api", "Fetch"}}, h.Snapshot());
  EXPECT_EQ(w.text(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{api=\"Fetch\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{api=\"Fetch\",le=\"1\"} 3\n"
            "lat_seconds_bucket{api=\"Fetch\",le=\"10\"} 3\n"
            "lat_seconds_bucket{api=\"Fetch\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{api=\"Fetch\"} 100.65\n"
            "lat_seconds_count{api=\"Fetch\"} 4\n");
}

TEST(Exposition, EmptyHistogramHasZeroBucketsAndCount) {
  Histogram h({1, 2});
  ExpositionWriter w;
  w.Histogram("h", {}, h.Snapshot());
  EXPECT_EQ(w.text(),
            "h_bucket{le=\"1\"} 0\n"
            "h_bucket{le=\"2\"} 0\n"
            "h_bucket{le=\"+Inf\"} 0\n"
            "h_sum 0\n"
            "h_count 0\n");
}

}  // namespace
}  // namespace keel::metrics
