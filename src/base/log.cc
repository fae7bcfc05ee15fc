#include "base/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

namespace stockade::log {
namespace {

struct State {
  std::mutex mu;
  Options opts;
  int main_fd = STDERR_FILENO;
  int debug_fd = -1;
  bool own_main = false;
  bool own_debug = false;
};

State& S() {
  static State* s = new State();  // Never destroyed: logging may run during exit.
  return *s;
}

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "info";
}

void WriteFd(int fd, const std::string& line) {
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// logrus quotes values that contain spaces or quotes.
std::string QuoteText(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string Rfc3339Now() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
  return buf;
}

Format ParseFormat(const std::string& s, bool* ok) {
  *ok = true;
  if (s == "json") return Format::kJson;
  if (s == "text" || s.empty()) return Format::kText;
  *ok = false;
  return Format::kText;
}

std::string FormatRecord(Format format, Level level, const std::string& msg,
                         const std::string& time) {
  if (format == Format::kJson) {
    nlohmann::json j = {{"level", LevelName(level)}, {"msg", msg}, {"time", time}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return "time=\"" + time + "\" level=" + LevelName(level) + " msg=" + QuoteText(msg) + "\n";
}

std::string Init(const Options& opts) {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.own_main) ::close(s.main_fd);
  if (s.own_debug) ::close(s.debug_fd);
  s.own_main = s.own_debug = false;
  s.main_fd = STDERR_FILENO;
  s.debug_fd = -1;
  s.opts = opts;

  if (opts.fd >= 0) {
    s.main_fd = opts.fd;
  } else if (!opts.file.empty()) {
    int fd = ::open(opts.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return "opening log file \"" + opts.file + "\": " + strerror(errno);
    s.main_fd = fd;
    s.own_main = true;
  }
  if (opts.debug_fd >= 0) {
    s.debug_fd = opts.debug_fd;
  } else if (!opts.debug_log.empty()) {
    std::string err;
    int fd = OpenDebugLog(opts.debug_log, opts.component, &err);
    if (fd < 0) return err;
    s.debug_fd = fd;
    s.own_debug = true;
  }
  return "";
}

int OpenDebugLog(const std::string& debug_log, const std::string& component, std::string* err) {
  std::string path = debug_log;
  if (path.back() == '/') {
    ::mkdir(path.c_str(), 0755);
    path += "stockade." + Rfc3339Now() + "." + std::to_string(getpid()) + "." + component + ".log";
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 && err) *err = "opening debug log \"" + path + "\": " + strerror(errno);
  return fd;
}

const Options& Current() { return S().opts; }
int MainFd() {
  State& s = S();
  return (s.opts.fd >= 0 || !s.opts.file.empty()) ? s.main_fd : -1;
}
int DebugFd() { return S().debug_fd; }
bool DebugEnabled() {
  State& s = S();
  return s.opts.debug || s.debug_fd >= 0;
}

void Write(Level level, const std::string& msg) {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  std::string time = Rfc3339Now();
  if (level != Level::kDebug || s.opts.debug) {
    WriteFd(s.main_fd, FormatRecord(s.opts.format, level, msg, time));
  }
  if (s.debug_fd >= 0) {
    WriteFd(s.debug_fd, FormatRecord(Format::kText, level,
                                     "[" + s.opts.component + " " + std::to_string(getpid()) + "] " + msg, time));
  }
}

void Logf(Level level, const char* fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  Write(level, buf);
}

}  // namespace stockade::log
