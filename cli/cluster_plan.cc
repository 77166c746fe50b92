#include "cli/cluster_plan.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tminus {
namespace {

constexpr int kMaxSlots = 4096;

// The words of a line, with any `# comment` dropped.
std::vector<std::string> Words(absl::string_view line) {
  line = line.substr(0, line.find('#'));
  return absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
}

absl::Status LineError(int line, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("hosts file line ", line, ": ", message));
}

// Hosts end up in ssh command lines and file names: letters, digits and
// `.-_:@[]` only (names, IPv4, IPv6, user@).
bool ValidHost(absl::string_view host) {
  if (host.empty() || host.size() > 253 || host[0] == '-') return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        absl::string_view(".-_:@[]").find(c) == absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

absl::Status ParseSetting(const std::string& word, HostEntry& entry, bool coordinator) {
  std::pair<std::string, std::string> kv = absl::StrSplit(word, absl::MaxSplits('=', 1));
  int value = 0;
  const bool number = absl::SimpleAtoi(kv.second, &value);
  if (coordinator && kv.first == "port") {
    if (!number || value < 1 || value > 65535) {
      return LineError(entry.line, absl::StrCat("port: must be 1..65535, got '", kv.second, "'"));
    }
    entry.port = value;
    return absl::OkStatus();
  }
  if (!coordinator && kv.first == "slots") {
    if (!number || value < 1 || value > kMaxSlots) {
      return LineError(entry.line, absl::StrCat("slots: must be 1..", kMaxSlots, ", got '",
                                                kv.second, "'"));
    }
    entry.slots = value;
    return absl::OkStatus();
  }
  return LineError(entry.line, absl::StrCat("unknown setting '", word, "' (a coordinator takes ",
                                            "port=P, a worker slots=N)"));
}

}  // namespace

absl::StatusOr<HostsPlan> ParseHostsFile(const std::string& text) {
  HostsPlan plan;
  bool have_coordinator = false;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    std::vector<std::string> words = Words(line);
    if (words.empty()) continue;
    const std::string& role = words[0];
    if (role != "coordinator" && role != "worker") {
      return LineError(number, absl::StrCat("'", role, "' is not a role: start the line with ",
                                            "coordinator or worker"));
    }
    if (words.size() < 2 || !ValidHost(words[1])) {
      return LineError(number, absl::StrCat(role, " needs a host name or address (letters, ",
                                            "digits, . - _ : @), got '",
                                            words.size() < 2 ? "" : words[1], "'"));
    }
    HostEntry entry;
    entry.host = words[1];
    entry.line = number;
    for (size_t i = 2; i < words.size(); ++i) {
      absl::Status status = ParseSetting(words[i], entry, role == "coordinator");
      if (!status.ok()) return status;
    }
    if (role == "coordinator") {
      if (have_coordinator) {
        return LineError(number, absl::StrCat("a second coordinator; the first is on line ",
                                              plan.coordinator.line));
      }
      plan.coordinator = entry;
      have_coordinator = true;
    } else {
      plan.workers.push_back(entry);
    }
  }
  if (!have_coordinator) {
    return absl::InvalidArgumentError("hosts file: no `coordinator HOST` line");
  }
  if (plan.workers.empty()) return absl::InvalidArgumentError("hosts file: no `worker HOST` line");
  return plan;
}

std::string FormatClusterRecord(const ClusterRecord& record) {
  std::string text = "# started by `tminus cluster up`; `tminus cluster down` stops it\n";
  if (!record.ssh_user.empty()) absl::StrAppend(&text, "ssh-user ", record.ssh_user, "\n");
  if (!record.ssh_identity.empty()) {
    absl::StrAppend(&text, "ssh-identity ", record.ssh_identity, "\n");
  }
  if (!record.ssh_config.empty()) absl::StrAppend(&text, "ssh-config ", record.ssh_config, "\n");
  absl::StrAppend(&text, "remote-dir ", record.remote_dir, "\n");
  for (const StartedDaemon& d : record.daemons) {
    if (d.role == "coordinator") {
      absl::StrAppend(&text, "coordinator ", d.host, " ", d.pid, " ", d.port, "\n");
    } else {
      absl::StrAppend(&text, "worker ", d.host, " ", d.pid, " ", d.name, "\n");
    }
  }
  return text;
}

absl::StatusOr<ClusterRecord> ParseClusterRecord(const std::string& text) {
  ClusterRecord record;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    if (absl::StartsWith(line, "#")) continue;
    std::vector<std::string> w = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (w.empty()) continue;
    auto bad = [&] { return absl::DataLossError(absl::StrCat("cluster record line ", number,
                                                             ": cannot read '", line, "'")); };
    // Paths are the rest of the line, spaces and all.
    const std::string rest(line.substr(std::min(line.size(), w[0].size() + 1)));
    if (w[0] == "ssh-user") record.ssh_user = rest;
    else if (w[0] == "ssh-identity") record.ssh_identity = rest;
    else if (w[0] == "ssh-config") record.ssh_config = rest;
    else if (w[0] == "remote-dir") record.remote_dir = rest;
    else if (w.size() == 4 && (w[0] == "coordinator" || w[0] == "worker")) {
      StartedDaemon d;
      d.role = w[0];
      d.host = w[1];
      if (!absl::SimpleAtoi(w[2], &d.pid) || d.pid <= 1) return bad();
      if (d.role == "coordinator" && !absl::SimpleAtoi(w[3], &d.port)) return bad();
      if (d.role == "worker") d.name = w[3];
      record.daemons.push_back(d);
    } else {
      return bad();
    }
  }
  return record;
}

}  // namespace tminus
