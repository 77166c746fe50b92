#include "coordinator/dashboard/metrics.h"

#include <sstream>

#include "prometheus/text_serializer.h"

namespace tminus {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

struct CounterSpec {
  const char* name;
  const char* help;
  int64_t SchedulerCounters::*field;
};

constexpr CounterSpec kCounters[] = {
    {"tminus_chunks_completed_total", "Chunk results accepted (each chunk once).",
     &SchedulerCounters::chunks_completed},
    {"tminus_decrements_total", "Decrements in accepted chunk results.",
     &SchedulerCounters::decrements},
    {"tminus_leases_granted_total", "Chunk leases handed to workers (first attempts, retries, backups).",
     &SchedulerCounters::leases_granted},
    {"tminus_chunk_retries_total", "Chunks put back in the queue after a failure or a lost lease.",
     &SchedulerCounters::retries},
    {"tminus_lease_expiries_total", "Leases lost to a worker silent past the lease timeout.",
     &SchedulerCounters::lease_expiries},
    {"tminus_duplicate_results_total", "Results for chunks already done, ignored.",
     &SchedulerCounters::duplicates},
    {"tminus_backup_attempts_total", "Backup attempts started for straggling chunks.",
     &SchedulerCounters::backups},
    {"tminus_chunks_handed_back_total", "Chunks handed back unfinished (drains, lost backup races).",
     &SchedulerCounters::handed_back},
    {"tminus_worker_sessions_opened_total", "Worker sessions opened.",
     &SchedulerCounters::sessions_opened},
    {"tminus_worker_sessions_ended_total", "Worker sessions ended (closed, expired or replaced).",
     &SchedulerCounters::sessions_ended},
    {"tminus_jobs_submitted_total", "Jobs accepted (saved) by the coordinator.",
     &SchedulerCounters::jobs_submitted},
    {"tminus_results_unleased_total",
     "Chunk results dropped: the session held no lease of that attempt (fencing).",
     &SchedulerCounters::results_unleased},
};

prometheus::Gauge* Gauge(prometheus::Registry& registry, const char* name, const char* help,
                         const prometheus::Labels& labels = {}) {
  return &BuildGauge().Name(name).Help(help).Register(registry).Add(labels);
}

}  // namespace

const std::vector<double>& CoordinatorMetrics::ChunkBuckets() {
  static const std::vector<double> kBuckets = {1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2,
                                               0.1,  0.3,  1,    3,    10,   30,   100};
  return kBuckets;
}

CoordinatorMetrics::CoordinatorMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  prometheus::Registry& r = *registry_;
  for (const CounterSpec& spec : kCounters) {
    followers_.push_back(
        {&BuildCounter().Name(spec.name).Help(spec.help).Register(r).Add({}), spec.field});
  }
  jobs_finished_ = &BuildCounter()
                        .Name("tminus_jobs_finished_total")
                        .Help("Jobs that ended, by final state.")
                        .Register(r);
  followers_.push_back({&jobs_finished_->Add({{"state", "succeeded"}}), &SchedulerCounters::jobs_succeeded});
  followers_.push_back({&jobs_finished_->Add({{"state", "failed"}}), &SchedulerCounters::jobs_failed});
  followers_.push_back({&jobs_finished_->Add({{"state", "cancelled"}}), &SchedulerCounters::jobs_cancelled});
  workers_connected_ = Gauge(r, "tminus_workers_connected", "Worker sessions open now.");
  slots_total_ = Gauge(r, "tminus_slots", "Slots of the connected workers.");
  slots_busy_ = Gauge(r, "tminus_slots_busy", "Slots running a leased chunk now.");
  auto& jobs = BuildGauge().Name("tminus_jobs").Help("Jobs now, by state (queued or running).").Register(r);
  jobs_queued_ = &jobs.Add({{"state", "queued"}});
  jobs_running_ = &jobs.Add({{"state", "running"}});
  chunks_queued_ = Gauge(r, "tminus_chunks_queued", "Chunks of queued and running jobs neither done nor leased.");
  ready_ = Gauge(r, "tminus_ready", "1 while the coordinator accepts connections and its store commits.");
  chunk_seconds_ = &BuildHistogram()
                        .Name("tminus_chunk_duration_seconds")
                        .Help("Duration of accepted chunks, measured by the workers.")
                        .Register(r)
                        .Add({}, ChunkBuckets());
  chunk_buckets_seen_.assign(ChunkBuckets().size() + 1, 0);
  commit_seconds_ = &BuildHistogram()
                         .Name("tminus_store_commit_duration_seconds")
                         .Help("Time of one state store commit (a transaction of jobs and acks).")
                         .Register(r)
                         .Add({}, prometheus::Histogram::BucketBoundaries{
                                      1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3});
  commit_failures_ = &BuildCounter()
                          .Name("tminus_store_commit_failures_total")
                          .Help("State store commits that failed (a full disk, say): new jobs are "
                                "refused and leasing pauses until one works.")
                          .Register(r)
                          .Add({});
  rpc_seconds_ = &BuildHistogram()
                      .Name("tminus_rpc_duration_seconds")
                      .Help("Time from a call's arrival to its status, by gRPC method and code.")
                      .Register(r);
}

void CoordinatorMetrics::Update(const DashboardSnapshot& snapshot) {
  for (Follower& follower : followers_) {
    const int64_t now = snapshot.counters.*(follower.field);
    if (now > follower.seen) follower.counter->Increment(static_cast<double>(now - follower.seen));
    follower.seen = now;
  }
  const ClusterTotals& t = snapshot.totals;
  workers_connected_->Set(static_cast<double>(t.workers_connected));
  slots_total_->Set(static_cast<double>(t.slots_total));
  slots_busy_->Set(static_cast<double>(t.slots_busy));
  jobs_queued_->Set(static_cast<double>(t.jobs_queued));
  jobs_running_->Set(static_cast<double>(t.jobs_running));
  chunks_queued_->Set(static_cast<double>(t.chunks_queued));
  ready_->Set(snapshot.ready ? 1 : 0);
  // The core's histogram, cumulative at each bound; the histogram here takes
  // per-bucket increments since the last update.
  std::vector<double> increments(chunk_buckets_seen_.size(), 0);
  int64_t below = 0;
  for (size_t i = 0; i < chunk_buckets_seen_.size(); ++i) {
    const int64_t cumulative = i < snapshot.chunk_seconds_buckets.size()
                                   ? snapshot.chunk_seconds_buckets[i].second
                                   : snapshot.counters.chunks_completed;
    const int64_t in_bucket = std::max<int64_t>(0, cumulative - below);
    below = std::max(below, cumulative);
    increments[i] = static_cast<double>(std::max<int64_t>(0, in_bucket - chunk_buckets_seen_[i]));
    chunk_buckets_seen_[i] = std::max(chunk_buckets_seen_[i], in_bucket);
  }
  const int64_t busy = snapshot.counters.busy_ns;
  chunk_seconds_->ObserveMultiple(increments, static_cast<double>(busy - chunk_busy_seen_) * 1e-9);
  chunk_busy_seen_ = busy;
}

void CoordinatorMetrics::ObserveCommit(double seconds, bool failed) {
  commit_seconds_->Observe(seconds);
  if (failed) commit_failures_->Increment();
}

void CoordinatorMetrics::ObserveRpc(const std::string& method, const std::string& code,
                                    double seconds) {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10, 30, 100, 300};
  rpc_seconds_->Add({{"method", method}, {"code", code}}, kBuckets).Observe(seconds);
}

std::string CoordinatorMetrics::Text() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (prometheus::MetricFamily& family : process_.Collect()) families.push_back(std::move(family));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace tminus
