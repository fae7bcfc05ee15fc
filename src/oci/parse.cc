#include "oci/parse.h"

#include <cerrno>
#include <string_view>

#include "base/io.h"
#include "oci/json_fields.h"
#include "oci/parse_internal.h"

namespace stockade::oci {
namespace {

using internal::ObjectReader;
using nlohmann::json;

// 1-based line and column of the byte at `offset` (0-based) in `text`.
std::pair<size_t, size_t> LineAndColumn(const std::string& text, size_t offset) {
  if (offset > text.size()) offset = text.size();
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, offset - line_start + 1};
}

// Bytes of the user's document can reach the message ("last read: '...'"); escape anything
// that is not printable ASCII so the error stays one valid UTF-8 line (JSON logs need that).
std::string Printable(std::string_view s) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 2:
// syntax error while parsing value - ...". Keep only the part after the position, which we
// report ourselves in our own words.
std::string ParseErrorReason(const json::parse_error& e) {
  std::string_view what = e.what();
  if (auto pos = what.find("column "); pos != std::string_view::npos) {
    if (auto colon = what.find(": ", pos); colon != std::string_view::npos) {
      return Printable(what.substr(colon + 2));
    }
  }
  if (auto bracket = what.find("] "); bracket != std::string_view::npos) {
    return Printable(what.substr(bracket + 2));
  }
  return Printable(what);
}

Result<Root> ParseRoot(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  Root root;
  TRY(r.String("path", &root.path));
  TRY(r.Bool("readonly", &root.readonly));
  return root;
}

Result<Mount> ParseMount(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  Mount m;
  TRY(r.String("destination", &m.destination));
  TRY(r.String("type", &m.type));
  TRY(r.String("source", &m.source));
  TRY(r.Strings("options", &m.options));
  // runc accepts relative destinations from old specs and reads them as relative to "/".
  // Doing that once here spares every consumer the special case.
  if (!m.destination.empty() && m.destination[0] != '/') m.destination = "/" + m.destination;
  return m;
}

Result<Hook> ParseHook(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  Hook h;
  TRY(r.String("path", &h.path));
  TRY(r.Strings("args", &h.args));
  TRY(r.Strings("env", &h.env));
  TRY(r.Int("timeout", &h.timeout));
  return h;
}

Result<Hooks> ParseHooks(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  Hooks h;
  TRY(r.Array("prestart", &h.prestart, ParseHook));  // Deprecated in 1.0.2, still honoured.
  TRY(r.Array("createRuntime", &h.create_runtime, ParseHook));
  TRY(r.Array("createContainer", &h.create_container, ParseHook));
  TRY(r.Array("startContainer", &h.start_container, ParseHook));
  TRY(r.Array("poststart", &h.poststart, ParseHook));
  TRY(r.Array("poststop", &h.poststop, ParseHook));
  return h;
}

Result<Spec> ParseDocument(json doc) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(doc, ""));
  Spec spec;
  TRY(r.String("ociVersion", &spec.oci_version));
  TRY(r.Object("process", &spec.process, internal::ParseProcessAt));
  TRY(r.Object("root", &spec.root, ParseRoot));
  TRY(r.String("hostname", &spec.hostname));
  TRY(r.String("domainname", &spec.domainname));
  TRY(r.Array("mounts", &spec.mounts, ParseMount));
  if (const json* hooks = r.Get("hooks")) {
    ASSIGN_OR_RETURN(spec.hooks, ParseHooks(*hooks, "hooks"));
  }
  TRY(r.StringMap("annotations", &spec.annotations));
  TRY(r.Object("linux", &spec.linux, internal::ParseLinuxAt));
  spec.raw = std::move(doc);
  return spec;
}

}  // namespace

Result<json> ParseJsonText(const std::string& text) {
  bool too_deep = false;
  json::parser_callback_t limit_depth = [&too_deep](int depth, json::parse_event_t event,
                                                    json& /*parsed*/) {
    if (depth > kMaxJsonDepth &&
        (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start)) {
      too_deep = true;
    }
    return true;
  };
  try {
    json doc = json::parse(text, limit_depth);
    if (too_deep) {
      return Error::Msg("malformed JSON: nested deeper than " + std::to_string(kMaxJsonDepth) +
                        " levels");
    }
    return doc;
  } catch (const json::parse_error& e) {
    // e.byte counts the characters read, so the last one read is at offset byte - 1: the
    // character that broke the token, or the end of an unexpected token.
    auto [line, column] = LineAndColumn(text, e.byte == 0 ? 0 : e.byte - 1);
    return Error::Msg("malformed JSON at line " + std::to_string(line) + ", column " +
                      std::to_string(column) + ": " + ParseErrorReason(e));
  } catch (const json::exception& e) {
    return Error::Msg(std::string("malformed JSON: ") + e.what());
  }
}

Result<Spec> SpecFromJson(json doc, const std::string& source) {
  try {
    auto spec = ParseDocument(std::move(doc));
    if (!spec.ok() && !source.empty()) return spec.error().Wrap(source);
    return spec;
  } catch (const json::exception& e) {
    // Not expected: every access is type-checked first. Kept so no exception leaves the API.
    Error err = Error::Msg(std::string("internal error reading spec: ") + e.what());
    return source.empty() ? err : err.Wrap(source);
  }
}

Result<Spec> ParseSpec(const std::string& json_text) {
  auto doc = ParseJsonText(json_text);
  if (!doc.ok()) return doc.error().Wrap("config.json");
  return SpecFromJson(std::move(doc).value(), "config.json");
}

Result<Spec> LoadSpec(const std::string& bundle_dir) {
  const std::string path = JoinPath(bundle_dir, "config.json");
  auto text = ReadFile(path);
  if (!text.ok()) {
    return Error(text.error().code(), "bundle \"" + bundle_dir + "\": config.json");
  }
  return ParseSpec(*text);
}

Result<Process> ProcessFromJson(const json& doc) {
  try {
    return internal::ParseProcessAt(doc, "");
  } catch (const json::exception& e) {
    return Error::Msg(std::string("internal error reading process: ") + e.what());
  }
}

Result<Process> ParseProcess(const std::string& json_text) {
  ASSIGN_OR_RETURN(json doc, ParseJsonText(json_text));
  return ProcessFromJson(doc);
}

}  // namespace stockade::oci
