// Assertion helpers for absl::Status / StatusOr in integration tests. They
// print the full status (which carries client or broker error text).
#pragma once

#include "gtest/gtest.h"

#define KEEL_INTEG_CONCAT_INNER(a, b) a##b
#define KEEL_INTEG_CONCAT(a, b) KEEL_INTEG_CONCAT_INNER(a, b)

// ASSERT_OK(expr): expr is an absl::Status.
#define ASSERT_OK(expr)                        \
  do {                                         \
    const auto _keel_st = (expr);              \
    ASSERT_TRUE(_keel_st.ok()) << _keel_st;    \
  } while (0)

// ASSERT_OK_AND_ASSIGN(lhs, expr): expr is an absl::StatusOr<T>.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(KEEL_INTEG_CONCAT(_keel_so_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  ASSERT_TRUE(tmp.ok()) << tmp.status();          \
  lhs = std::move(*tmp)
