// Logging in runc's shapes: text (logrus style) or JSON ({"level","msg","time"}), to --log,
// plus an optional per-process debug log (--debug-log DIR/ gives one file per process).
#pragma once

#include <string>

namespace stockade::log {

enum class Level { kDebug, kInfo, kWarning, kError };
enum class Format { kText, kJson };

struct Options {
  std::string component = "cli";  // cli, boot, gofer: names the debug-log file.
  std::string file;                // --log; empty means stderr.
  int fd = -1;                     // an already-open log FD (donated to boot/gofer); wins over file.
  Format format = Format::kText;   // --log-format
  bool debug = false;              // --debug: debug level goes to the main log too.
  std::string debug_log;           // --debug-log: a file, or DIR/ for one file per process.
  int debug_fd = -1;               // an already-open debug-log FD.
};

// Configures the process-wide logger. Safe to call again (e.g. after parsing flags).
// Returns an error string, empty on success.
std::string Init(const Options& opts);
const Options& Current();

// The FDs of the main and debug logs (-1 when none), for donating to child processes.
int MainFd();
int DebugFd();
// Opens `debug_log` for appending; when it ends in '/', a new file in that directory named
// after the time, our PID and `component`. -1 (and *err) on failure.
int OpenDebugLog(const std::string& debug_log, const std::string& component, std::string* err);

bool DebugEnabled();
void Write(Level level, const std::string& msg);
void Logf(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Formats one record; exposed for tests.
std::string FormatRecord(Format format, Level level, const std::string& msg, const std::string& time);
std::string Rfc3339Now();
Format ParseFormat(const std::string& s, bool* ok);

}  // namespace stockade::log

#define LOG_DEBUG(...)                                              \
  do {                                                              \
    if (::stockade::log::DebugEnabled())                            \
      ::stockade::log::Logf(::stockade::log::Level::kDebug, __VA_ARGS__); \
  } while (0)
#define LOG_INFO(...) ::stockade::log::Logf(::stockade::log::Level::kInfo, __VA_ARGS__)
#define LOG_WARN(...) ::stockade::log::Logf(::stockade::log::Level::kWarning, __VA_ARGS__)
#define LOG_ERROR(...) ::stockade::log::Logf(::stockade::log::Level::kError, __VA_ARGS__)
