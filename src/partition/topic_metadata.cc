// Topic metadata file encoding and topic-name rules (see topic_metadata.h).
#include "keel/partition/topic_metadata.h"

#include <charconv>

#include "fmt/format.h"
#include "keel/common/crc32c.h"

namespace keel::partition {
namespace {

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

bool Unescape(std::string_view s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      *out += s[i];
      continue;
    }
    if (++i == s.size()) return false;
    if (s[i] == '\\') {
      *out += '\\';
    } else if (s[i] == 't') {
      *out += '\t';
    } else if (s[i] == 'n') {
      *out += '\n';
    } else {
      return false;
    }
  }
  return true;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

uint32_t Crc(std::string_view s) {
  return crc32c::Extend(0, reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

absl::Status Bad(std::string_view why) {
  return absl::DataLossError(fmt::format("topic metadata file is damaged: {}", why));
}

}  // namespace

absl::Status ValidateTopicName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("topic name is empty");
  if (name == "." || name == "..") {
    return absl::InvalidArgumentError("topic name cannot be \".\" or \"..\"");
  }
  if (name.size() > kMaxTopicNameLength) {
    return absl::InvalidArgumentError(
        fmt::format("topic name is {} characters, the maximum is {}", name.size(), kMaxTopicNameLength));
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(fmt::format(
          "topic name '{}' has an illegal character; allowed are ASCII letters, digits, '.', '_' and '-'",
          name));
    }
  }
  return absl::OkStatus();
}

bool IsInternalTopic(std::string_view name) {
  return name == "__consumer_offsets" || name == "__transaction_state";
}

std::string EncodeTopics(const std::vector<TopicInfo>& topics) {
  std::string out = "keel-topics 1\n";
  for (const TopicInfo& t : topics) {
    out += fmt::format("topic\t{}\t{}\t{}\t{}", t.name, t.id.ToString(), t.partitions,
                       t.internal ? 1 : 0);
    if (t.replication_factor != 1) out += fmt::format("\t{}", t.replication_factor);
    out += '\n';
    for (const auto& [k, v] : t.configs) out += fmt::format("config\t{}\t{}\n", Escape(k), Escape(v));
  }
  out += fmt::format("crc\t{:08x}\n", Crc(out));
  return out;
}

absl::StatusOr<std::vector<TopicInfo>> DecodeTopics(std::string_view text) {
  size_t crc_at = text.rfind("crc\t");
  if (crc_at == std::string_view::npos) return Bad("no crc line");
  std::string_view body = text.substr(0, crc_at);
  std::string_view crc_line = text.substr(crc_at + 4);
  if (!crc_line.empty() && crc_line.back() == '\n') crc_line.remove_suffix(1);
  uint32_t stored;
  auto [p, ec] = std::from_chars(crc_line.data(), crc_line.data() + crc_line.size(), stored, 16);
  if (ec != std::errc() || p != crc_line.data() + crc_line.size()) return Bad("bad crc line");
  if (stored != Crc(body)) return Bad("crc mismatch");

  std::vector<TopicInfo> topics;
  std::vector<std::string_view> lines = Split(body, '\n');
  if (lines.empty() || lines[0] != "keel-topics 1") return Bad("bad header");
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    std::vector<std::string_view> f = Split(lines[i], '\t');
    if (f[0] == "topic" && (f.size() == 5 || f.size() == 6)) {
      TopicInfo t;
      t.name = std::string(f[1]);
      if (!Uuid::Parse(f[2], &t.id)) return Bad("bad topic id");
      auto [q, e] = std::from_chars(f[3].data(), f[3].data() + f[3].size(), t.partitions);
      if (e != std::errc() || t.partitions < 1) return Bad("bad partition count");
      t.internal = f[4] == "1";
      if (f.size() == 6) {
        auto [r, re] = std::from_chars(f[5].data(), f[5].data() + f[5].size(), t.replication_factor);
        if (re != std::errc() || r != f[5].data() + f[5].size() || t.replication_factor < 1)
          return Bad("bad replication factor");
      }
      topics.push_back(std::move(t));
    } else if (f[0] == "config" && f.size() == 3 && !topics.empty()) {
      std::string k, v;
      if (!Unescape(f[1], &k) || !Unescape(f[2], &v)) return Bad("bad escape");
      topics.back().configs[k] = v;
    } else {
      return Bad(fmt::format("unexpected line {}", i + 1));
    }
  }
  return topics;
}

}  // namespace keel::partition
