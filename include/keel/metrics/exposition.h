// Writes metrics in the Prometheus text exposition format, version 0.0.4.
//
// Promises:
// - Family() writes the "# HELP" and "# TYPE" lines of one metric family; the
//   samples written after it belong to that family until the next Family().
//   Callers write every sample of a family right after its Family() call (the
//   format requires a family's lines to be contiguous).
// - Label values are escaped (backslash, double quote, line feed); HELP text
//   escapes backslash and line feed. Names are written as given: callers use
//   valid names ([a-zA-Z_:][a-zA-Z0-9_:]*).
// - Histogram() writes <name>_bucket lines with cumulative counts, one per
//   upper bound plus le="+Inf" (equal to _count), then <name>_sum and
//   <name>_count.
// Thread-safety: none; one writer per scrape. Not copyable state is plain.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace keel::metrics {

struct Label {
  std::string name;
  std::string value;
};
using Labels = std::vector<Label>;

enum class MetricType { kCounter, kGauge, kHistogram };

// A consistent copy of a histogram's state. `cumulative` has one entry per
// bound plus a last one for +Inf (== count).
struct HistogramSnapshot {
  std::vector<double> bounds;
  std::vector<uint64_t> cumulative;
  double sum = 0;
  uint64_t count = 0;
};

class ExpositionWriter {
 public:
  void Family(std::string_view name, std::string_view help, MetricType type);
  void Sample(std::string_view name, const Labels& labels, double value);
  void Histogram(std::string_view name, const Labels& labels, const HistogramSnapshot& h);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

  // The content type of this format, for the HTTP response.
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  void WriteSample(std::string_view name, std::string_view suffix, const Labels& labels,
                   const Label* extra, double value);
  std::string out_;
};

// Escapes a label value: \ -> \\, " -> \", line feed -> \n.
std::string EscapeLabelValue(std::string_view v);
// Formats a sample value: integers without a fraction, +Inf, -Inf, NaN.
std::string FormatValue(double v);

}  // namespace keel::metrics
