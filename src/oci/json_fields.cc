#include "oci/json_fields.h"

namespace stockade::oci::internal {

const char* JsonTypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "number";
    case json::value_t::binary:
      return "binary";
    case json::value_t::discarded:
      break;
  }
  return "invalid value";
}

std::string Child(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string Quote(const std::string& s) {
  // The replace handler turns invalid UTF-8 into U+FFFD instead of throwing.
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string MapKey(const std::string& path, const std::string& key) {
  return path + "[" + Quote(key) + "]";
}

Error FieldError(const std::string& path, const std::string& message) {
  return Error::Msg(path.empty() ? message : path + ": " + message);
}

Error TypeError(const std::string& path, const char* expected, const json& got) {
  return FieldError(path, std::string("expected ") + expected + ", got " + JsonTypeName(got));
}

Result<std::string> AsString(const json& v, const std::string& path) {
  const auto* s = v.get_ptr<const std::string*>();
  if (s == nullptr) return TypeError(path, "string", v);
  return *s;
}

Result<bool> AsBool(const json& v, const std::string& path) {
  const auto* b = v.get_ptr<const bool*>();
  if (b == nullptr) return TypeError(path, "boolean", v);
  return *b;
}

Result<std::vector<std::string>> AsStringList(const json& v, const std::string& path) {
  if (!v.is_array()) return TypeError(path, "array of strings", v);
  std::vector<std::string> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    ASSIGN_OR_RETURN(std::string s, AsString(v[i], Index(path, i)));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::map<std::string, std::string>> AsStringMap(const json& v, const std::string& path) {
  if (!v.is_object()) return TypeError(path, "object", v);
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : v.items()) {
    ASSIGN_OR_RETURN(std::string s, AsString(value, MapKey(path, key)));
    out.emplace(key, std::move(s));
  }
  return out;
}

Status ExpectObject(const json& v, const std::string& path) {
  if (!v.is_object()) return TypeError(path, "object", v);
  return Ok();
}

Result<ObjectReader> ObjectReader::Make(const json& v, std::string path) {
  TRY(ExpectObject(v, path));
  return ObjectReader(v, std::move(path));
}

const json* ObjectReader::Get(const std::string& key) const {
  auto it = obj_->find(key);
  if (it == obj_->end() || it->is_null()) return nullptr;
  return &*it;
}

Status ObjectReader::String(const std::string& key, std::string* out) const {
  const json* v = Get(key);
  if (v == nullptr) return Ok();
  ASSIGN_OR_RETURN(*out, AsString(*v, PathOf(key)));
  return Ok();
}

Status ObjectReader::String(const std::string& key, std::optional<std::string>* out) const {
  const json* v = Get(key);
  if (v == nullptr) return Ok();
  ASSIGN_OR_RETURN(*out, AsString(*v, PathOf(key)));
  return Ok();
}

Status ObjectReader::Bool(const std::string& key, bool* out) const {
  const json* v = Get(key);
  if (v == nullptr) return Ok();
  ASSIGN_OR_RETURN(*out, AsBool(*v, PathOf(key)));
  return Ok();
}

Status ObjectReader::Bool(const std::string& key, std::optional<bool>* out) const {
  const json* v = Get(key);
  if (v == nullptr) return Ok();
  ASSIGN_OR_RETURN(*out, AsBool(*v, PathOf(key)));
  return Ok();
}

Status ObjectReader::Strings(const std::string& key, std::vector<std::string>* out) const {
  const json* v = Get(key);
  if (v == nullptr) return Ok();
  ASSIGN_OR_RETURN(*out, AsStringList(*v, PathOf(key)));
  return Ok();
}

Status ObjectReader::StringMap(const std::string& key,
                               std::map<std::string, std::string>* out) const {
  const json* v = Get(key);
  if (v == nullptr) return Ok();
  ASSIGN_OR_RETURN(*out, AsStringMap(*v, PathOf(key)));
  return Ok();
}

Status ObjectReader::Raw(const std::string& key, json* out) const {
  const json* v = Get(key);
  if (v != nullptr) *out = *v;
  return Ok();
}

}  // namespace stockade::oci::internal
