// RETURN_IF_ERROR / ASSIGN_OR_RETURN: this Abseil (20220623) ships neither.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TMINUS_CONCAT_INNER(a, b) a##b
#define TMINUS_CONCAT(a, b) TMINUS_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status tminus_status_ = (expr);        \
    if (!tminus_status_.ok()) return tminus_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  TMINUS_ASSIGN_OR_RETURN_IMPL(TMINUS_CONCAT(tminus_statusor_, __LINE__), lhs, expr)

#define TMINUS_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (!statusor.ok()) return statusor.status();           \
  lhs = std::move(statusor).value()
