#include "coordinator/service/snapshot_publisher.h"

#include <algorithm>

#include "common/clock.h"
#include "coordinator/core/figures.h"

namespace tminus {
namespace {

constexpr absl::Duration kEvery = absl::Milliseconds(250);

double Rate(const JobView& view) {
  return view.elapsed_ns > 0 ? static_cast<double>(view.decrements_done) * 1e9 /
                                   static_cast<double>(view.elapsed_ns)
                             : 0.0;
}

JobSummary Summarize(const JobView& view) {
  JobSummary summary;
  summary.view = view;
  summary.rate = Rate(view);
  if (!IsTerminal(view.state)) {
    summary.eta_ns = EtaNs(view.spec.n - view.decrements_done, summary.rate);
  }
  return summary;
}

// The mean of a job's rate samples over its last kRecentRateS seconds: one
// sample (250 ms, less when a Want hurries the publish) is too noisy to show.
constexpr double kRecentRateS = 5;
double RecentRate(const std::deque<std::pair<double, double>>& series) {
  if (series.empty()) return 0;
  const double since = series.back().first - kRecentRateS;
  double sum = 0;
  int count = 0;
  for (auto it = series.rbegin(); it != series.rend() && it->first >= since; ++it, ++count) {
    sum += it->second;
  }
  return sum / count;
}

// The snapshot holds details made after the job had ended (they are final).
bool FinishedDetail(const DashboardSnapshot& snapshot, JobId id) {
  const auto detail = snapshot.details.find(id);
  return detail != snapshot.details.end() && IsTerminal(detail->second->report.job.state);
}

}  // namespace

struct SnapshotPublisher::Raw {
  std::vector<WorkerView> workers;
  std::vector<JobSummary> jobs;  // newest first
  absl::flat_hash_map<JobId, JobReport> reports;
  absl::flat_hash_map<JobId, JobTimeline> timelines;
  ClusterTotals totals;
  SchedulerCounters counters;
  std::vector<std::pair<double, int64_t>> buckets;
  std::vector<StreamEvent> stream;  // attempts reported since the last Collect
};

SnapshotPublisher::SnapshotPublisher(SchedulerHost* host, CoordinatorMetrics* metrics,
                                     std::function<bool()> ready)
    : host_(host), metrics_(metrics), ready_(std::move(ready)) {}

SnapshotPublisher::~SnapshotPublisher() { Stop(); }

void SnapshotPublisher::Start() {
  PublishOnce();
  thread_ = std::thread([this] {
    while (!stop_.HasBeenNotified()) {
      {
        MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(
            [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
              return publish_soon_ || stop_.HasBeenNotified();
            },
            kEvery);
        publish_soon_ = false;
      }
      if (!stop_.HasBeenNotified()) PublishOnce();
    }
  });
}

void SnapshotPublisher::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  {
    MutexLock lock(&mu_);  // wakes the thread
  }
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const DashboardSnapshot> SnapshotPublisher::Latest() const {
  MutexLock lock(&mu_);
  return latest_;
}

std::shared_ptr<const DashboardSnapshot> SnapshotPublisher::Want(JobId job) {
  std::shared_ptr<const DashboardSnapshot> before;
  {
    MutexLock lock(&mu_);
    wanted_[job] = RealClock::Get()->MonoNs() + kInterestNs;
    before = latest_;
    if (before != nullptr && before->details.contains(job)) return before;
    publish_soon_ = true;
    // The next snapshot has it (or says the job is not in the window).
    mu_.AwaitWithTimeout(
        [this, &before]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          return latest_ != before || stop_.HasBeenNotified();
        },
        absl::Seconds(2));
    return latest_;
  }
}

SnapshotPublisher::Raw SnapshotPublisher::Collect(
    const DashboardSnapshot* previous, const absl::flat_hash_map<JobId, int64_t>& wanted) {
  Raw raw;
  host_->Run([&](Scheduler& s) {
    raw.workers = s.ListWorkers();
    raw.totals = s.Totals();
    raw.counters = s.counters();
    for (double bound : CoordinatorMetrics::ChunkBuckets()) {
      raw.buckets.emplace_back(bound, s.chunk_durations().CountAtOrBelow(
                                          static_cast<int64_t>(bound * 1e9)));
    }
    std::vector<ClusterStream::Event> events;
    stream_seen_ = s.stream().CopySince(stream_seen_, &events);
    raw.stream.reserve(events.size());
    absl::flat_hash_map<uint32_t, std::string> names;  // one lookup per worker, not per event
    for (const ClusterStream::Event& e : events) {
      auto [name, added] = names.try_emplace(e.worker);
      if (added) name->second = s.WorkerName(e.worker);
      raw.stream.push_back(StreamEvent{e.job, name->second, e.slot, e.chunk, e.received_wall_ns,
                                       e.duration_ns, e.outcome});
    }
    for (const JobView& view : s.ListJobs(0, kWindow)) {
      raw.jobs.push_back(Summarize(view));
      const bool finished_before = previous != nullptr && FinishedDetail(*previous, view.id);
      if (!wanted.contains(view.id) || finished_before) continue;
      raw.reports[view.id] = *s.GetReport(view.id);
      raw.timelines[view.id] = *s.GetTimeline(view.id);
    }
  });
  return raw;
}

void SnapshotPublisher::TrackRates(const std::vector<JobSummary>& jobs, int64_t now_wall_ns) {
  absl::flat_hash_map<JobId, RateTrack> kept;
  for (const JobSummary& job : jobs) {
    auto it = rates_.find(job.view.id);
    if (it == rates_.end()) {
      if (IsTerminal(job.view.state)) continue;  // never seen running: no series
      it = rates_.emplace(job.view.id, RateTrack{now_wall_ns, job.view.decrements_done, {}}).first;
    }
    RateTrack& track = it->second;
    if (!IsTerminal(job.view.state) && now_wall_ns > track.last_wall_ns) {
      const double seconds = static_cast<double>(now_wall_ns - track.last_wall_ns) * 1e-9;
      const double rate = static_cast<double>(job.view.decrements_done - track.last_decrements) / seconds;
      track.series.emplace_back(static_cast<double>(now_wall_ns) * 1e-9, std::max(rate, 0.0));
      if (track.series.size() > kRateSamples) track.series.pop_front();
      track.last_wall_ns = now_wall_ns;
      track.last_decrements = job.view.decrements_done;
    }
    kept.emplace(job.view.id, std::move(track));
  }
  rates_ = std::move(kept);  // jobs that left the window are forgotten
}

void SnapshotPublisher::PublishOnce() {
  MutexLock publishing(&publish_mu_);
  std::shared_ptr<const DashboardSnapshot> previous;
  absl::flat_hash_map<JobId, int64_t> wanted;
  const int64_t now_mono = RealClock::Get()->MonoNs();
  {
    MutexLock lock(&mu_);
    previous = latest_;
    for (auto it = wanted_.begin(); it != wanted_.end();) {
      auto here = it++;
      if (here->second < now_mono) wanted_.erase(here);
    }
    wanted = wanted_;
  }
  Raw raw = Collect(previous.get(), wanted);
  auto snapshot = std::make_shared<DashboardSnapshot>();
  snapshot->generated_wall_ns = RealClock::Get()->WallNs();
  snapshot->ready = ready_ == nullptr || ready_();
  snapshot->totals = raw.totals;
  snapshot->counters = raw.counters;
  snapshot->chunk_seconds_buckets = std::move(raw.buckets);
  history_.AddStream(std::move(raw.stream));
  snapshot->history = history_.Record(snapshot->generated_wall_ns, RealClock::Get()->MonoNs(),
                                      raw.counters.decrements, raw.totals, raw.workers);
  snapshot->workers = std::move(raw.workers);
  TrackRates(raw.jobs, snapshot->generated_wall_ns);
  for (JobSummary& job : raw.jobs) {
    const JobId id = job.view.id;
    if (auto track = rates_.find(id); track != rates_.end() && !IsTerminal(job.view.state)) {
      job.rate_now = RecentRate(track->second.series);
    }
    if (auto report = raw.reports.find(id); report != raw.reports.end()) {
      auto detail = std::make_shared<JobDetail>();
      detail->report = std::move(report->second);
      detail->timeline = std::move(raw.timelines[id]);
      if (auto track = rates_.find(id); track != rates_.end()) {
        detail->rate_series.assign(track->second.series.begin(), track->second.series.end());
      }
      snapshot->details.emplace(id, std::move(detail));
    } else if (previous != nullptr && FinishedDetail(*previous, id)) {
      snapshot->details.emplace(id, previous->details.at(id));  // final: made once, then reused
    }
    snapshot->jobs.push_back(std::make_shared<const JobSummary>(std::move(job)));
  }
  if (previous != nullptr) snapshot->studies = previous->studies;
  snapshot->studies = host_->Studies();
  if (metrics_ != nullptr) metrics_->Update(*snapshot);
  MutexLock lock(&mu_);
  latest_ = std::move(snapshot);
}

}  // namespace tminus
