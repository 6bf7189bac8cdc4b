#include "topic_util.h"

namespace keel::server {

bool IsValidTopicName(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

protocol::ErrorCode ToErrorCode(const absl::Status& status) {
  using protocol::ErrorCode;
  switch (status.code()) {
    case absl::StatusCode::kOk: return ErrorCode::NONE;
    case absl::StatusCode::kNotFound: return ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
    case absl::StatusCode::kOutOfRange: return ErrorCode::OFFSET_OUT_OF_RANGE;
    case absl::StatusCode::kDataLoss: return ErrorCode::CORRUPT_MESSAGE;
    case absl::StatusCode::kAlreadyExists: return ErrorCode::TOPIC_ALREADY_EXISTS;
    case absl::StatusCode::kInvalidArgument: return ErrorCode::INVALID_REQUEST;
    case absl::StatusCode::kResourceExhausted: return ErrorCode::KAFKA_STORAGE_ERROR;
    case absl::StatusCode::kDeadlineExceeded: return ErrorCode::REQUEST_TIMED_OUT;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kInternal: return ErrorCode::KAFKA_STORAGE_ERROR;
    default: return ErrorCode::UNKNOWN_SERVER_ERROR;
  }
}

}  // namespace keel::server
