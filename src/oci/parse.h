// Reading runtime-spec documents (config.json, and process.json for `exec --process`) into the
// model of spec.h. Accepts runtime-spec 1.0.0 through 1.2.x; unknown fields are ignored so newer
// documents still load. Errors name the field by its JSON path, e.g.
//   config.json: process.args[1]: expected string, got number
// Parsing checks types only; ValidateSpec (validate.h) checks meaning.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "oci/spec.h"

namespace stockade::oci {

// Parses the text of a config.json. Errors start with "config.json: ". Spec::raw holds the
// parsed document. Relative mount destinations are made absolute (runc reads them as relative
// to "/"); everything else is kept as written.
Result<Spec> ParseSpec(const std::string& json_text);

// Reads and parses <bundle_dir>/config.json. A missing file fails with ENOENT and the message
// `bundle "<dir>": config.json`.
Result<Spec> LoadSpec(const std::string& bundle_dir);

// Parses a process.json (`exec --process`): the "process" object of a spec on its own. Field
// paths are relative to that object ("args[1]: expected string, got number"); the caller adds
// the file name.
Result<Process> ParseProcess(const std::string& json_text);

// The same, from an already-parsed document (for callers that received the spec as JSON, e.g.
// over the control socket). `source` prefixes errors ("config.json"); it may be empty.
Result<Spec> SpecFromJson(nlohmann::json doc, const std::string& source = "config.json");
Result<Process> ProcessFromJson(const nlohmann::json& doc);

// Parses JSON text, reporting syntax errors as "malformed JSON at line L, column C: <why>".
// Documents nested deeper than kMaxJsonDepth are refused: no real spec comes close, and deep
// nesting would make copies of Spec::raw recurse without bound.
inline constexpr int kMaxJsonDepth = 64;
Result<nlohmann::json> ParseJsonText(const std::string& text);

}  // namespace stockade::oci
