// Runs every seed of the fuzz corpus through the parser and validator. The seed's name states
// the expected verdict: ok_* must parse and validate, bad_parse_* must fail to parse,
// bad_valid_* must parse and then fail validation; other seeds only must not crash.
#include <dirent.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/io.h"
#include "oci/parse.h"
#include "oci/state.h"
#include "oci/test_util.h"
#include "oci/validate.h"

namespace stockade::oci {
namespace {

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> out;
  DIR* d = opendir(STOCKADE_OCI_CORPUS_DIR);
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') out.emplace_back(e->d_name);
  }
  closedir(d);
  return out;
}

bool HasPrefix(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

TEST(FuzzCorpus, EverySeedGetsItsExpectedVerdict) {
  testing::TempBundle bundle;  // root.path "rootfs" resolves to an existing directory here.
  const auto files = CorpusFiles();
  ASSERT_GE(files.size(), 15u) << "corpus missing at " << STOCKADE_OCI_CORPUS_DIR;
  int ok = 0;
  int bad_parse = 0;
  int bad_valid = 0;
  for (const auto& name : files) {
    SCOPED_TRACE(name);
    auto text = ReadFile(std::string(STOCKADE_OCI_CORPUS_DIR) + "/" + name);
    ASSERT_TRUE(text.ok()) << text.error().ToString();
    auto spec = ParseSpec(*text);
    Status valid = spec.ok() ? ValidateSpec(*spec, bundle.path()) : Status(spec.error());
    // The other entry points must survive the same bytes.
    auto process = ParseProcess(*text);
    if (process.ok()) (void)ValidateProcess(*process);
    if (auto doc = ParseJsonText(*text); doc.ok()) (void)StateFromJson(*doc);

    if (HasPrefix(name, "ok_")) {
      ++ok;
      ASSERT_TRUE(spec.ok()) << spec.error().ToString();
      EXPECT_TRUE(valid.ok()) << valid.error().ToString();
    } else if (HasPrefix(name, "bad_parse_")) {
      ++bad_parse;
      EXPECT_FALSE(spec.ok());
    } else if (HasPrefix(name, "bad_valid_")) {
      ++bad_valid;
      ASSERT_TRUE(spec.ok()) << spec.error().ToString();
      EXPECT_FALSE(valid.ok());
    }
  }
  EXPECT_GE(ok, 3);
  EXPECT_GE(bad_parse, 3);
  EXPECT_GE(bad_valid, 3);
}

}  // namespace
}  // namespace stockade::oci
