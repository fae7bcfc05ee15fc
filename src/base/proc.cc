#include "base/proc.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/io.h"

namespace stockade {
namespace {

struct SigName {
  const char* name;
  int num;
};
constexpr SigName kSignals[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},     {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},
    {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO},         {"POLL", SIGPOLL},   {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

}  // namespace

std::optional<uint64_t> ProcessStartTime(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto data = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!data.ok()) return std::nullopt;
  // comm may contain spaces and parens: fields resume after the last ')'.
  size_t p = data->rfind(')');
  if (p == std::string::npos) return std::nullopt;
  std::istringstream in(data->substr(p + 2));
  std::string field;
  char state = 0;
  in >> state;
  // After comm: state is field 3; starttime is field 22, i.e. 19 more fields.
  for (int i = 4; i <= 22; ++i) {
    if (!(in >> field)) return std::nullopt;
  }
  if (state == 'Z' || state == 'X') return std::nullopt;
  return std::strtoull(field.c_str(), nullptr, 10);
}

bool ProcessAlive(pid_t pid, uint64_t start_time) {
  auto st = ProcessStartTime(pid);
  if (!st) return false;
  return start_time == 0 || *st == start_time;
}

std::optional<int> ParseSignal(const std::string& s) {
  if (s.empty()) return std::nullopt;
  if (std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (s.size() > 3) return std::nullopt;
    int n = std::atoi(s.c_str());
    if (n <= 0 || n > SIGRTMAX) return std::nullopt;
    return n;
  }
  std::string up;
  for (char c : s) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up.rfind("SIG", 0) == 0) up = up.substr(3);
  for (const auto& e : kSignals) {
    if (up == e.name) return e.num;
  }
  if (up.rfind("RTMIN", 0) == 0 || up.rfind("RTMAX", 0) == 0) {
    bool min = up[3] == 'I';
    std::string rest = up.substr(5);
    int off = 0;
    if (!rest.empty()) {
      if (rest[0] != '+' && rest[0] != '-') return std::nullopt;
      off = std::atoi(rest.c_str());
    }
    int n = (min ? SIGRTMIN : SIGRTMAX) + off;
    if (n < SIGRTMIN || n > SIGRTMAX) return std::nullopt;
    return n;
  }
  return std::nullopt;
}

std::string SignalName(int sig) {
  for (const auto& e : kSignals) {
    if (e.num == sig) return std::string("SIG") + e.name;
  }
  return "signal " + std::to_string(sig);
}

pid_t ForkInNamespaces(long ns_flags) {
  if (ns_flags == 0) return fork();
  return static_cast<pid_t>(syscall(SYS_clone, ns_flags | SIGCHLD, 0, nullptr, nullptr, 0));
}

}  // namespace stockade
