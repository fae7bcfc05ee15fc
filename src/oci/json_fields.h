// Typed reads of JSON values that name the failing field by its JSON path
// ("process.args[1]: expected string, got number"). Internal to the OCI library.
//
// Go's encoding/json (what runc uses) treats `null` as "not set", so every reader here does
// the same: a null or missing key leaves the output untouched.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "base/result.h"

namespace stockade::oci::internal {

using nlohmann::json;

// "string", "number", "object", ... as a user would call them.
const char* JsonTypeName(const json& v);

// Path building: Child("process", "args") == "process.args"; Child("", "args") == "args".
std::string Child(const std::string& path, const std::string& key);
std::string Index(const std::string& path, size_t i);
// Map entries: process.env-like maps use ["key"] so keys with dots stay readable.
std::string MapKey(const std::string& path, const std::string& key);

// A user-supplied string as a JSON string literal: quoted, escaped, invalid UTF-8 replaced,
// so messages stay one valid line.
std::string Quote(const std::string& s);

// "<path>: <message>", or just the message at the document root.
Error FieldError(const std::string& path, const std::string& message);
Error TypeError(const std::string& path, const char* expected, const json& got);

Result<std::string> AsString(const json& v, const std::string& path);
Result<bool> AsBool(const json& v, const std::string& path);
Result<std::vector<std::string>> AsStringList(const json& v, const std::string& path);
Result<std::map<std::string, std::string>> AsStringMap(const json& v, const std::string& path);
Status ExpectObject(const json& v, const std::string& path);

// Integers are strict like Go's: 1.0 or 1e3 are not integers, and out-of-range values fail.
template <typename T>
Result<T> AsInt(const json& v, const std::string& path) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  auto range_error = [&]() {
    return FieldError(
        path, "expected integer in [" + std::to_string(std::numeric_limits<T>::min()) + ", " +
                  std::to_string(std::numeric_limits<T>::max()) + "], got " + v.dump());
  };
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return range_error();
    return static_cast<T>(u);
  }
  if (v.is_number_integer()) {
    const auto i = v.get<int64_t>();
    if constexpr (std::is_unsigned_v<T>) {
      if (i < 0) return range_error();
      if (static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
        return range_error();
      }
    } else {
      if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
          i > static_cast<int64_t>(std::numeric_limits<T>::max())) {
        return range_error();
      }
    }
    return static_cast<T>(i);
  }
  if (v.is_number_float()) return FieldError(path, "expected integer, got non-integer number");
  return TypeError(path, "integer", v);
}

// Reads the keys of one JSON object. Each method leaves `out` alone when the key is missing
// or null, and fails with the key's full path when the value has the wrong type.
class ObjectReader {
 public:
  // Fails unless `v` is an object. `v` must outlive the reader.
  static Result<ObjectReader> Make(const json& v, std::string path);

  const std::string& path() const { return path_; }
  std::string PathOf(const std::string& key) const { return Child(path_, key); }
  // The value of `key`, or nullptr when it is missing or null.
  const json* Get(const std::string& key) const;

  Status String(const std::string& key, std::string* out) const;
  Status String(const std::string& key, std::optional<std::string>* out) const;
  Status Bool(const std::string& key, bool* out) const;
  Status Bool(const std::string& key, std::optional<bool>* out) const;
  Status Strings(const std::string& key, std::vector<std::string>* out) const;
  Status StringMap(const std::string& key, std::map<std::string, std::string>* out) const;
  // Copies the value unchanged (parts of the spec that are passed through, not interpreted).
  Status Raw(const std::string& key, json* out) const;

  template <typename T>
  Status Int(const std::string& key, T* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Ok();
    ASSIGN_OR_RETURN(*out, AsInt<T>(*v, PathOf(key)));
    return Ok();
  }
  template <typename T>
  Status Int(const std::string& key, std::optional<T>* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Ok();
    ASSIGN_OR_RETURN(*out, AsInt<T>(*v, PathOf(key)));
    return Ok();
  }
  template <typename T>
  Status IntList(const std::string& key, std::vector<T>* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Ok();
    if (!v->is_array()) return TypeError(PathOf(key), "array", *v);
    out->clear();
    for (size_t i = 0; i < v->size(); ++i) {
      ASSIGN_OR_RETURN(T item, AsInt<T>((*v)[i], Index(PathOf(key), i)));
      out->push_back(item);
    }
    return Ok();
  }
  // An array of objects, each read by `parse(const json&, const std::string& path) -> Result<T>`.
  template <typename T, typename F>
  Status Array(const std::string& key, std::vector<T>* out, F parse) const {
    const json* v = Get(key);
    if (v == nullptr) return Ok();
    if (!v->is_array()) return TypeError(PathOf(key), "array", *v);
    out->clear();
    for (size_t i = 0; i < v->size(); ++i) {
      ASSIGN_OR_RETURN(T item, parse((*v)[i], Index(PathOf(key), i)));
      out->push_back(std::move(item));
    }
    return Ok();
  }
  // A nested object read by `parse`; `out` is set only when the key is present.
  template <typename T, typename F>
  Status Object(const std::string& key, std::optional<T>* out, F parse) const {
    const json* v = Get(key);
    if (v == nullptr) return Ok();
    ASSIGN_OR_RETURN(T item, parse(*v, PathOf(key)));
    *out = std::move(item);
    return Ok();
  }

 private:
  ObjectReader(const json& obj, std::string path) : obj_(&obj), path_(std::move(path)) {}

  const json* obj_;
  std::string path_;
};

}  // namespace stockade::oci::internal
