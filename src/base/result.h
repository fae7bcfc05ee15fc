// Result<T>: a value or an Error, with TRY/ASSIGN_OR_RETURN to propagate failures.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "base/error.h"

namespace stockade {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error err) : v_(std::in_place_index<1>, std::move(err)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }
  Error&& take_error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error err) : err_(std::move(err)) {}  // NOLINT: implicit by design

  bool ok() const { return !err_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *err_; }
  Error&& take_error() && { return std::move(*err_); }

 private:
  std::optional<Error> err_;
};

using Status = Result<void>;
inline Status Ok() { return {}; }

}  // namespace stockade

#define STOCKADE_CONCAT_INNER(a, b) a##b
#define STOCKADE_CONCAT(a, b) STOCKADE_CONCAT_INNER(a, b)

// TRY(expr): returns the error from the enclosing function if expr failed.
#define TRY(expr)                                             \
  do {                                                        \
    auto _try_result = (expr);                                \
    if (!_try_result.ok()) return std::move(_try_result).take_error(); \
  } while (0)

// TRY_CTX(expr, ctx): as TRY, but wraps the error with context.
#define TRY_CTX(expr, ctx)                                    \
  do {                                                        \
    auto _try_result = (expr);                                \
    if (!_try_result.ok()) return _try_result.error().Wrap(ctx); \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)     \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).take_error(); \
  lhs = std::move(tmp).value()

// ASSIGN_OR_RETURN(auto x, Foo()): binds the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(STOCKADE_CONCAT(_aor_, __LINE__), lhs, expr)
