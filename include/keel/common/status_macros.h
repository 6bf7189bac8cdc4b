// Early-return helpers for absl::Status and absl::StatusOr.
//
// KEEL_RETURN_IF_ERROR(expr): returns the status of `expr` if it is not OK.
// KEEL_ASSIGN_OR_RETURN(lhs, expr): evaluates a StatusOr, returns its status on
// error, otherwise moves the value into `lhs` (which may be a declaration).
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define KEEL_STATUS_CONCAT_INNER(a, b) a##b
#define KEEL_STATUS_CONCAT(a, b) KEEL_STATUS_CONCAT_INNER(a, b)

#define KEEL_RETURN_IF_ERROR(expr)                 \
  do {                                             \
    ::absl::Status keel_status_ = (expr);          \
    if (!keel_status_.ok()) return keel_status_;   \
  } while (0)

#define KEEL_ASSIGN_OR_RETURN(lhs, expr) \
  KEEL_ASSIGN_OR_RETURN_IMPL(KEEL_STATUS_CONCAT(keel_statusor_, __LINE__), lhs, expr)

#define KEEL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(*tmp)
