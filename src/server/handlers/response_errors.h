// Finds the error codes a decoded response carries, for the request-error
// metrics: the top-level `error_code` and those of nested entries reached
// through the collection fields Kafka responses use (topics, partitions,
// responses, results, groups, members, coordinators, ...). Compile-time
// (requires-expressions); responses without such fields yield nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <ranges>
#include <type_traits>

namespace keel::server {

namespace response_errors_detail {

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <typename T, typename F>
void Visit(const T& v, F& f);

template <typename Field, typename F>
void VisitField(const Field& field, F& f) {
  if constexpr (IsOptional<Field>::value) {
    if (field) VisitField(*field, f);
  } else if constexpr (std::ranges::range<Field>) {
    if constexpr (std::is_class_v<std::ranges::range_value_t<Field>>) {
      for (const auto& e : field) Visit(e, f);
    }
  } else if constexpr (std::is_class_v<Field>) {
    Visit(field, f);
  }
}

#define KEEL_VISIT_ERRORS_FIELD(name) \
  if constexpr (requires { v.name; }) VisitField(v.name, f);

template <typename T, typename F>
void Visit(const T& v, F& f) {
  if constexpr (requires { v.error_code; }) {
    if constexpr (std::is_integral_v<std::remove_cvref_t<decltype(v.error_code)>>) f(int16_t(v.error_code));
  }
  KEEL_VISIT_ERRORS_FIELD(topics)
  KEEL_VISIT_ERRORS_FIELD(partitions)
  KEEL_VISIT_ERRORS_FIELD(responses)
  KEEL_VISIT_ERRORS_FIELD(partition_responses)
  KEEL_VISIT_ERRORS_FIELD(results)
  KEEL_VISIT_ERRORS_FIELD(groups)
  KEEL_VISIT_ERRORS_FIELD(members)
  KEEL_VISIT_ERRORS_FIELD(coordinators)
  KEEL_VISIT_ERRORS_FIELD(replica_election_results)
  KEEL_VISIT_ERRORS_FIELD(partition_result)
}

#undef KEEL_VISIT_ERRORS_FIELD

}  // namespace response_errors_detail

// Calls f(code) for every error_code field found in `response` (zero too).
template <typename Response, typename F>
void ForEachErrorCode(const Response& response, F&& f) {
  response_errors_detail::Visit(response, f);
}

}  // namespace keel::server
