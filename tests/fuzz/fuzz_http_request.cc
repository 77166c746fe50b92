// Fuzzes the coordinator's HTTP router (docs/api.md): arbitrary bytes become
// a request (method, path, query, headers, body: one per line, as in the
// seed corpus), answered over a snapshot with jobs, details and a study,
// with tokens on or off. Nothing may crash; every answer has a real status
// and, for an error, a body that says why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "coordinator/dashboard/router.h"

namespace {

class NoActions final : public tminus::DashboardActions {
 public:
  absl::StatusOr<tminus::JobView> Cancel(tminus::JobId id) override {
    if (id % 2 == 0) return absl::NotFoundError("no such job");
    tminus::JobView view;
    view.id = id;
    return view;
  }
};

std::shared_ptr<tminus::DashboardSnapshot> Snapshot() {
  auto snapshot = std::make_shared<tminus::DashboardSnapshot>();
  for (tminus::JobId id = 1; id <= 3; ++id) {
    auto job = std::make_shared<tminus::JobSummary>();
    job->view.id = id;
    job->view.spec.name = "job\xff\x01";
    snapshot->jobs.push_back(job);
    auto detail = std::make_shared<tminus::JobDetail>();
    detail->timeline.rows.push_back({"w", 0});
    detail->timeline.events.push_back({0, 1, 1, 0, 10, tminus::EventOutcome::kDuplicate});
    snapshot->details[id] = detail;
  }
  auto study = std::make_shared<tminus::StudyRecord>();
  tminus::StudyPoint point;
  point.executor = "threads";
  point.slots = 2;
  point.wall_ns = point.wall_min_ns = point.wall_max_ns = 1;
  point.speedup = 1.9;
  point.efficiency = 0.95;
  point.karp_flatt = 0.05;
  point.rate = 1e9;
  point.counting_fraction = 0.97;
  point.mode = "weak";
  study->points.push_back(point);
  study->physical_cores = 2;
  study->host_boundaries = {1, 2};
  snapshot->studies.push_back(study);
  return snapshot;
}

tminus::TokenSet Tokens() {
  const std::string path = "/tmp/tminus-fuzz-http.tokens";
  std::ofstream(path) << "fuzz-client-token-0123456789\n";
  tminus::TokenSet tokens = *tminus::TokenSet::Load(path, "", "");
  unlink(path.c_str());  // read once: nothing left behind
  return tokens;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto snapshot = Snapshot();
  static const tminus::TokenSet closed = Tokens();
  static const tminus::TokenSet open;
  static NoActions actions;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines = absl::StrSplit(text, absl::MaxSplits('\n', 64));
  lines.resize(std::max<size_t>(lines.size(), 4));
  tminus::HttpCall call;
  call.method = lines[0];
  call.path = lines[1];
  for (absl::string_view pair : absl::StrSplit(lines[2], '&')) {
    const size_t equals = pair.find('=');
    call.query.emplace(std::string(pair.substr(0, equals)),
                       equals == absl::string_view::npos ? "" : std::string(pair.substr(equals + 1)));
  }
  size_t line = 3;
  for (; line < lines.size() && !lines[line].empty(); ++line) {
    const size_t colon = lines[line].find(':');
    if (colon == std::string::npos) continue;
    call.headers[lines[line].substr(0, colon)] = lines[line].substr(colon + 1);
  }
  for (++line; line < lines.size(); ++line) call.body += lines[line] + "\n";
  tminus::DashboardRouter::Sources sources;
  sources.snapshot = [] { return snapshot; };
  sources.want = [](tminus::JobId) { return snapshot; };
  sources.metrics = [] { return std::string("tminus_ready 1\n"); };
  sources.actions = &actions;
  tminus::DashboardRouter router(size % 2 == 0 ? &closed : &open, sources,
                                 tminus::RealClock::Get());
  const tminus::HttpReply reply = router.Handle(call);
  if (reply.status < 200 || reply.status > 599) std::abort();
  if (reply.status >= 400 && reply.body.empty()) std::abort();
  return 0;
}
