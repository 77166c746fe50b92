#include "coordinator/dashboard/api.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/host.h"
#include "common/study_series.h"
#include "common/text.h"
#include "coordinator/dashboard/api_json.h"

namespace tminus {
namespace {

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

HttpReply Json(const JsonWriter& out) {
  HttpReply reply;
  reply.body = out.text();
  reply.headers.emplace_back("Cache-Control", "no-store");
  return reply;
}

HttpReply MethodNotAllowed(const char* allow) {
  HttpReply reply = JsonError(405, absl::StrCat("this path takes ", allow));
  reply.headers.emplace_back("Allow", allow);
  return reply;
}

std::string Quoted(absl::string_view text) {
  return absl::StrCat("'", EscapeForTerminal(text.substr(0, 64)), text.size() > 64 ? "...'" : "'");
}

// A job id from the path: digits only, not 0.
bool ParseId(absl::string_view text, JobId* id) {
  return !text.empty() && text.size() <= 20 &&
         text.find_first_not_of("0123456789") == absl::string_view::npos &&
         absl::SimpleAtoi(text, id) && *id != 0;
}

bool StateMatches(const std::string& filter, JobState state) {
  if (filter.empty()) return true;
  if (filter == "active") return !IsTerminal(state);
  return filter == JobStateName(state);
}

HttpReply ListJobs(const HttpCall& call, const DashboardSnapshot& snapshot) {
  std::string state;
  int limit = kDefaultLimit;
  if (auto it = call.query.find("state"); it != call.query.end()) {
    state = it->second;
    static const char* kStates[] = {"queued", "running", "succeeded", "failed", "cancelled", "active"};
    if (std::none_of(std::begin(kStates), std::end(kStates),
                     [&](const char* s) { return state == s; })) {
      return JsonError(400, absl::StrCat("state: must be queued, running, succeeded, failed, "
                                         "cancelled or active, got ", Quoted(state)));
    }
  }
  bool hide_study = false;
  if (auto it = call.query.find("hide_study"); it != call.query.end()) {
    if (it->second != "0" && it->second != "1") {
      return JsonError(400, absl::StrCat("hide_study: must be 0 or 1, got ", Quoted(it->second)));
    }
    hide_study = it->second == "1";
  }
  if (auto it = call.query.find("limit"); it != call.query.end()) {
    if (it->second.size() > 4 || !absl::SimpleAtoi(it->second, &limit) || limit < 1 ||
        limit > kMaxLimit) {
      return JsonError(400, absl::StrCat("limit: must be between 1 and ", kMaxLimit, ", got ",
                                         Quoted(it->second)));
    }
  }
  JsonWriter out;
  out.BeginObject().Key("jobs").BeginArray();
  int listed = 0;
  int64_t hidden = 0;  // of those the coordinator keeps, not only this page's
  for (const auto& job : snapshot.jobs) {
    if (!StateMatches(state, job->view.state)) continue;
    if (hide_study && job->view.spec.labels.count(kStudyLabel) > 0) {
      ++hidden;
      continue;
    }
    if (listed == limit) continue;
    WriteJob(out, *job);
    ++listed;
  }
  out.EndArray();
  if (hide_study) out.Field("hidden_study_jobs", hidden);
  out.EndObject();
  return Json(out);
}

const JobSummary* FindSummary(const DashboardSnapshot& snapshot, JobId id) {
  for (const auto& job : snapshot.jobs) {
    if (job->view.id == id) return job.get();
  }
  return nullptr;
}

HttpReply JobNotInWindow(const DashboardSnapshot& snapshot, JobId id) {
  const bool older = !snapshot.jobs.empty() && id < snapshot.jobs.back()->view.id &&
                     snapshot.jobs.size() >= 1000;
  if (!older) return JsonError(404, absl::StrCat("job ", id, " not found"));
  return JsonError(404, absl::StrCat("job ", id, " is older than the jobs the dashboard keeps "
                                     "(the newest 1000); `tminus report ", id, "` has every job"));
}

HttpReply GetJob(const DashboardSnapshot& snapshot, JobId id, bool timeline) {
  const JobSummary* summary = FindSummary(snapshot, id);
  const auto detail = snapshot.details.find(id);
  if (summary == nullptr || detail == snapshot.details.end()) return JobNotInWindow(snapshot, id);
  JsonWriter out;
  if (timeline) {
    WriteTimeline(out, id, detail->second->timeline);
    return Json(out);
  }
  out.BeginObject().Key("job");
  WriteJob(out, *summary);
  out.Key("rate_series").BeginArray();
  for (const auto& [time, rate] : detail->second->rate_series) {
    out.BeginArray().Double(time).Double(rate).EndArray();
  }
  out.EndArray().Key("report");
  WriteReport(out, detail->second->report);
  out.EndObject();
  return Json(out);
}

HttpReply Cancel(DashboardActions& actions, JobId id) {
  absl::StatusOr<JobView> view = actions.Cancel(id);
  if (!view.ok()) {
    const int status = view.status().code() == absl::StatusCode::kNotFound ? 404 : 503;
    return JsonError(status, std::string(view.status().message()));
  }
  JsonWriter out;
  out.BeginObject().Key("job").BeginObject();
  WriteJobView(out, *view);
  out.EndObject().EndObject();
  return Json(out);
}

HttpReply Cluster(const DashboardSnapshot& snapshot) {
  const ClusterTotals& t = snapshot.totals;
  JsonWriter out;
  out.BeginObject().Field("generated_at", snapshot.generated_wall_ns * 1e-9);
  out.Key("totals").BeginObject();
  out.Field("workers_connected", t.workers_connected).Field("slots_total", t.slots_total);
  out.Field("slots_busy", t.slots_busy).Field("jobs_queued", t.jobs_queued);
  out.Field("jobs_running", t.jobs_running).Field("chunks_queued", t.chunks_queued);
  out.EndObject().Key("workers").BeginArray();
  for (const WorkerView& worker : snapshot.workers) WriteWorker(out, worker);
  out.EndArray().EndObject();
  return Json(out);
}

HttpReply History(const DashboardSnapshot& snapshot) {
  JsonWriter out;
  out.BeginObject().Field("generated_at", snapshot.generated_wall_ns * 1e-9);
  WriteClusterHistory(out, snapshot.live());
  out.EndObject();
  return Json(out);
}

// ?worker=ID: that worker's slots only.
HttpReply Stream(const HttpCall& call, const DashboardSnapshot& snapshot) {
  const auto worker = call.query.find("worker");
  JsonWriter out;
  out.BeginObject().Field("generated_at", snapshot.generated_wall_ns * 1e-9);
  WriteStream(out, snapshot, worker == call.query.end() ? "" : worker->second);
  out.EndObject();
  return Json(out);
}

// /api/v1/workers/{worker_id}
HttpReply GetWorker(const HttpCall& call, absl::string_view id, const DashboardSnapshot& snapshot) {
  if (call.method != "GET") return MethodNotAllowed("GET");
  const auto worker = std::find_if(snapshot.workers.begin(), snapshot.workers.end(),
                                   [&](const WorkerView& w) { return w.worker_id == id; });
  if (worker == snapshot.workers.end()) {
    return JsonError(404, absl::StrCat("worker ", Quoted(id), " not found"));
  }
  JsonWriter out;
  out.BeginObject().Field("generated_at", snapshot.generated_wall_ns * 1e-9).Key("worker");
  WriteWorker(out, *worker);
  WriteUsageSeries(out, snapshot.live(), worker->worker_id);
  out.EndObject();
  return Json(out);
}

HttpReply Studies(const DashboardSnapshot& snapshot) {
  JsonWriter out;
  out.BeginObject().Key("studies").BeginArray();
  for (const auto& study : snapshot.studies) WriteStudy(out, *study);
  out.EndArray().EndObject();
  return Json(out);
}

// /api/v1/jobs/{id}[/timeline|/cancel]
HttpReply JobPath(const HttpCall& call, absl::string_view rest, const DashboardSnapshot& snapshot,
                  DashboardActions& actions) {
  const std::vector<absl::string_view> parts = absl::StrSplit(rest, '/');
  JobId id = 0;
  if (parts.size() > 2 || !ParseId(parts[0], &id)) {
    if (parts.size() <= 2) return JsonError(400, absl::StrCat("job id: ", Quoted(parts[0]),
                                                              " is not a job id"));
    return JsonError(404, absl::StrCat("no such path: ", Quoted(call.path)));
  }
  const absl::string_view what = parts.size() == 2 ? parts[1] : "";
  if (what == "cancel") {
    return call.method == "POST" ? Cancel(actions, id) : MethodNotAllowed("POST");
  }
  if (what != "" && what != "timeline") {
    return JsonError(404, absl::StrCat("no such path: ", Quoted(call.path)));
  }
  if (call.method != "GET") return MethodNotAllowed("GET");
  return GetJob(snapshot, id, what == "timeline");
}

}  // namespace

HttpReply JsonError(int status, const std::string& message) {
  JsonWriter out;
  out.BeginObject().Key("error").BeginObject();
  out.Field("status", int64_t{status}).Field("message", message);
  out.EndObject().EndObject();
  HttpReply reply;
  reply.status = status;
  reply.body = out.text();
  return reply;
}

HttpReply HandleApi(const HttpCall& call, const DashboardSnapshot& snapshot,
                    DashboardActions& actions) {
  absl::string_view path = call.path;
  if (!absl::ConsumePrefix(&path, "/api/v1/")) {
    return JsonError(404, absl::StrCat("no such path: ", Quoted(call.path)));
  }
  if (absl::ConsumePrefix(&path, "jobs/")) return JobPath(call, path, snapshot, actions);
  if (absl::ConsumePrefix(&path, "workers/")) return GetWorker(call, path, snapshot);
  using Getter = HttpReply (*)(const HttpCall&, const DashboardSnapshot&);
  static const std::pair<const char*, Getter> kGets[] = {
      {"cluster", [](const HttpCall&, const DashboardSnapshot& s) { return Cluster(s); }},
      {"jobs", ListJobs},
      {"history", [](const HttpCall&, const DashboardSnapshot& s) { return History(s); }},
      {"stream", Stream},
      {"studies", [](const HttpCall&, const DashboardSnapshot& s) { return Studies(s); }},
      {"version", [](const HttpCall&, const DashboardSnapshot&) {
         JsonWriter out;
         out.BeginObject().Field("api", "v1").Field("version", Version()).EndObject();
         return Json(out);
       }},
  };
  for (const auto& [name, get] : kGets) {
    if (path != name) continue;
    return call.method == "GET" ? get(call, snapshot) : MethodNotAllowed("GET");
  }
  return JsonError(404, absl::StrCat("no such path: ", Quoted(call.path)));
}

}  // namespace tminus
