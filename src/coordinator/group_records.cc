#include "keel/coordinator/group_records.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "keel/common/strings.h"

#include "keel/protocol/internal/group_metadata_key.h"
#include "keel/protocol/internal/offset_commit_key.h"
#include "keel/protocol/reader.h"
#include "keel/protocol/writer.h"
#include "keel/coordinator/versioned_record.h"

namespace keel::coordinator {
namespace {

constexpr int16_t kOffsetKeyVersion = 1;       // 0 and 1 share the layout; Kafka writes 1
constexpr int16_t kGroupKeyVersion = 2;
constexpr int16_t kOffsetValueVersion = 3;
constexpr int16_t kOffsetValueVersionWithExpiry = 1;
constexpr int16_t kGroupValueVersion = 3;

// Appends the UTF-16 code units of `utf8` to a running Java hash.
int32_t HashUtf16(std::string_view s) {
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = 31 * h + unit; };
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = uint8_t(s[i]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c >> 5) == 0x6) {
      cp = c & 0x1f;
      len = 2;
    } else if ((c >> 4) == 0xe) {
      cp = c & 0x0f;
      len = 3;
    } else if ((c >> 3) == 0x1e) {
      cp = c & 0x07;
      len = 4;
    } else {
      add(0xfffd);
      ++i;
      continue;
    }
    bool ok = i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      uint8_t cc = uint8_t(s[i + k]);
      if ((cc >> 6) != 0x2) ok = false;
      else cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (!ok || cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      add(0xfffd);
      ++i;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xd800 + (cp >> 10));
      add(0xdc00 + (cp & 0x3ff));
    } else {
      add(cp);
    }
    i += len;
  }
  return int32_t(h);
}

}  // namespace

int32_t JavaStringHashCode(std::string_view utf8) { return HashUtf16(utf8); }

int32_t PartitionForGroup(std::string_view group_id, int32_t partitions) {
  int32_t h = JavaStringHashCode(group_id);
  // Kafka's Utils.abs: INT_MIN maps to 0.
  int32_t a = h == INT32_MIN ? 0 : std::abs(h);
  return a % partitions;
}

CoordinatorRecord OffsetCommitRecord(std::string_view group, const TopicPartition& tp,
                                     const CommittedOffset& value) {
  protocol::OffsetCommitKey key;
  key.group = std::string(group);
  key.topic = tp.topic;
  key.partition = tp.partition;
  protocol::OffsetCommitValue v;
  v.offset = value.offset;
  v.leader_epoch = LeaderEpoch(value.leader_epoch);
  v.metadata = value.metadata;
  v.commit_timestamp = value.commit_timestamp_ms;
  v.expire_timestamp = value.expire_timestamp_ms;
  // Kafka writes v1 only when an explicit expire timestamp is present.
  int16_t version =
      value.expire_timestamp_ms >= 0 ? kOffsetValueVersionWithExpiry : kOffsetValueVersion;
  return CoordinatorRecord{EncodeVersioned(key, kOffsetKeyVersion), EncodeVersioned(v, version)};
}

CoordinatorRecord OffsetTombstone(std::string_view group, const TopicPartition& tp) {
  protocol::OffsetCommitKey key;
  key.group = std::string(group);
  key.topic = tp.topic;
  key.partition = tp.partition;
  return CoordinatorRecord{EncodeVersioned(key, kOffsetKeyVersion), std::nullopt};
}

CoordinatorRecord GroupMetadataRecord(std::string_view group,
                                      const protocol::GroupMetadataValue& value) {
  protocol::GroupMetadataKey key;
  key.group = std::string(group);
  return CoordinatorRecord{EncodeVersioned(key, kGroupKeyVersion),
                           EncodeVersioned(value, kGroupValueVersion)};
}

CoordinatorRecord GroupTombstone(std::string_view group) {
  protocol::GroupMetadataKey key;
  key.group = std::string(group);
  return CoordinatorRecord{EncodeVersioned(key, kGroupKeyVersion), std::nullopt};
}

absl::StatusOr<DecodedRecord> DecodeRecord(std::span<const uint8_t> key,
                                           std::optional<std::span<const uint8_t>> value) {
  protocol::Reader kr(key);
  int16_t key_version = 0;
  if (!kr.ReadInt16(&key_version).ok()) return absl::DataLossError("record key too short");
  if (key_version == 0 || key_version == 1) {
    protocol::OffsetCommitKey k;
    if (auto st = k.Decode(kr, key_version); !st.ok() || !kr.empty()) {
      return absl::DataLossError("malformed offset commit key");
    }
    OffsetRecord out;
    out.group = std::move(k.group);
    out.tp = TopicPartition{std::move(k.topic), k.partition};
    if (value) {
      protocol::OffsetCommitValue v;
      int16_t version = 0;
      if (auto st = DecodeVersioned(*value, &v, &version); !st.ok()) return st;
      CommittedOffset c;
      c.offset = v.offset;
      c.leader_epoch = v.leader_epoch.value;
      c.metadata = std::move(v.metadata);
      c.commit_timestamp_ms = v.commit_timestamp;
      c.expire_timestamp_ms = v.expire_timestamp;
      out.value = std::move(c);
    }
    return DecodedRecord(std::move(out));
  }
  if (key_version == 2) {
    protocol::GroupMetadataKey k;
    if (auto st = k.Decode(kr, key_version); !st.ok() || !kr.empty()) {
      return absl::DataLossError("malformed group metadata key");
    }
    GroupRecord out;
    out.group = std::move(k.group);
    if (value) {
      protocol::GroupMetadataValue v;
      int16_t version = 0;
      if (auto st = DecodeVersioned(*value, &v, &version); !st.ok()) return st;
      out.value = std::move(v);
    }
    return DecodedRecord(std::move(out));
  }
  return absl::NotFoundError(absl::StrCat("record key version ", key_version, " is not a classic group record"));
}

}  // namespace keel::coordinator
