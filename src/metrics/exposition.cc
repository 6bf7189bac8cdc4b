#include "keel/metrics/exposition.h"

#include <cmath>

#include "fmt/format.h"

namespace keel::metrics {

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {
std::string EscapeHelp(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string_view TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}
}  // namespace

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", int64_t(v));
  return fmt::format("{}", v);
}

void ExpositionWriter::Family(std::string_view name, std::string_view help, MetricType type) {
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(help),
                 name, TypeName(type));
}

void ExpositionWriter::WriteSample(std::string_view name, std::string_view suffix,
                                   const Labels& labels, const Label* extra, double value) {
  out_ += name;
  out_ += suffix;
  if (!labels.empty() || extra) {
    out_ += '{';
    bool first = true;
    auto put = [&](const Label& l) {
      if (!first) out_ += ',';
      first = false;
      out_ += l.name;
      out_ += "=\"";
      out_ += EscapeLabelValue(l.value);
      out_ += '"';
    };
    for (const auto& l : labels) put(l);
    if (extra) put(*extra);
    out_ += '}';
  }
  out_ += ' ';
  out_ += FormatValue(value);
  out_ += '\n';
}

void ExpositionWriter::Sample(std::string_view name, const Labels& labels, double value) {
  WriteSample(name, "", labels, nullptr, value);
}

void ExpositionWriter::Histogram(std::string_view name, const Labels& labels,
                                 const HistogramSnapshot& h) {
  for (size_t i = 0; i < h.bounds.size() && i < h.cumulative.size(); ++i) {
    Label le{"le", FormatValue(h.bounds[i])};
    WriteSample(name, "_bucket", labels, &le, double(h.cumulative[i]));
  }
  Label inf{"le", "+Inf"};
  WriteSample(name, "_bucket", labels, &inf, double(h.count));
  WriteSample(name, "_sum", labels, nullptr, h.sum);
  WriteSample(name, "_count", labels, nullptr, double(h.count));
}

}  // namespace keel::metrics
