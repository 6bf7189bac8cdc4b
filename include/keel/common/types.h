// Strong types for the identifiers and offsets that flow between modules.
//
// Each is a small wrapper so an offset cannot be passed where a partition id
// is expected. They are regular value types: cheap to copy, totally ordered,
// hashable with absl and printable with fmt.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/hash/hash.h"
#include "fmt/format.h"

namespace keel {

// A wrapper around an integer value with its own type identity.
template <typename Tag, typename T>
struct StrongInt {
  T value{};
  constexpr StrongInt() = default;
  constexpr explicit StrongInt(T v) : value(v) {}
  constexpr auto operator<=>(const StrongInt&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const StrongInt& v) {
    return H::combine(std::move(h), v.value);
  }
};

struct OffsetTag {};
struct PartitionIdTag {};
struct LeaderEpochTag {};
struct GenerationIdTag {};
struct ProducerIdTag {};
struct ProducerEpochTag {};
struct NodeIdTag {};

// A position in a partition log. -1 means "none".
using Offset = StrongInt<OffsetTag, int64_t>;
using PartitionId = StrongInt<PartitionIdTag, int32_t>;
using LeaderEpoch = StrongInt<LeaderEpochTag, int32_t>;
using GenerationId = StrongInt<GenerationIdTag, int32_t>;
using ProducerId = StrongInt<ProducerIdTag, int64_t>;
using ProducerEpoch = StrongInt<ProducerEpochTag, int16_t>;
using NodeId = StrongInt<NodeIdTag, int32_t>;

// A topic name plus a partition index.
struct TopicPartition {
  std::string topic;
  PartitionId partition;
  auto operator<=>(const TopicPartition&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const TopicPartition& tp) {
    return H::combine(std::move(h), tp.topic, tp.partition);
  }
};

// A 128-bit topic id (Kafka's Uuid). All-zero is the "null" id.
struct Uuid {
  std::array<uint8_t, 16> bytes{};
  auto operator<=>(const Uuid&) const = default;
  bool IsZero() const {
    for (uint8_t b : bytes)
      if (b != 0) return false;
    return true;
  }
  template <typename H>
  friend H AbslHashValue(H h, const Uuid& u) {
    return H::combine(std::move(h), u.bytes);
  }
  // Kafka prints ids as URL-safe base64 without padding (22 characters).
  std::string ToString() const;
  // Parses the 22-character form; returns false on bad input.
  static bool Parse(std::string_view text, Uuid* out);
  // A random version-4 id that is never zero.
  static Uuid Random();
};

}  // namespace keel

template <typename Tag, typename T>
struct fmt::formatter<keel::StrongInt<Tag, T>> : fmt::formatter<T> {
  template <typename Ctx>
  auto format(const keel::StrongInt<Tag, T>& v, Ctx& ctx) const {
    return fmt::formatter<T>::format(v.value, ctx);
  }
};

template <>
struct fmt::formatter<keel::TopicPartition> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const keel::TopicPartition& tp, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{}-{}", tp.topic, tp.partition.value);
  }
};
