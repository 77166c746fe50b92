// Read-only views the core hands out: job status, the timing report, worker
// and progress listings. Plain structs, copied out under the caller's lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/histogram.h"
#include "common/job_counters.h"
#include "common/job_spec.h"
#include "common/process_usage.h"
#include "coordinator/core/types.h"

namespace tminus {

struct JobView {
  JobId id = 0;
  JobSpec spec;
  JobState state = JobState::kQueued;
  int64_t chunk_total = 0;
  int64_t chunks_done = 0;
  int64_t decrements_done = 0;
  int64_t chunks_running = 0;     // on a worker's slot now
  int64_t chunks_prefetched = 0;  // leased, waiting in a worker's queue
  int64_t submit_wall_ns = 0;
  int64_t start_wall_ns = 0;  // 0 while queued
  int64_t end_wall_ns = 0;    // 0 until terminal
  int64_t elapsed_ns = 0;     // first dispatch to now, or to the last result
  std::string error;
  std::string waiting_reason;  // queued and no connected worker can take it
};

struct SlotReport {
  int32_t slot = 0;
  int64_t chunks = 0;
  int64_t decrements = 0;
  int64_t busy_ns = 0;
  double utilisation = 0;
};

struct WorkerReport : WorkerIdentityView {
  int64_t chunks = 0;
  int64_t decrements = 0;
  int64_t busy_ns = 0;
  int64_t cpu_ns = 0;
  double utilisation = 0;
  double decrements_per_second = 0;
  std::vector<SlotReport> slot_reports;
  double cpu_share = 0;       // cpu / busy
  double reference_rate = 0;  // its calibrated one-slot rate, decrement-weighted; 0: none
};

struct JobReport {
  JobView job;
  int64_t wall_ns = 0;
  int64_t submit_to_done_ns = 0;
  int64_t busy_ns = 0;
  int64_t cpu_ns = 0;
  int64_t kernel_ns = 0;
  int32_t slots_used = 0;
  // coordinator/core/figures.h defines each figure.
  double parallelism = 0;
  double occupancy = 0;
  double cpu_parallelism = 0;
  double cpu_share = 0;
  std::optional<double> speedup;
  std::optional<double> efficiency;
  int64_t reference_ns = 0;
  std::string speedup_reference;  // what the speedup is measured against, or why none
  std::vector<std::string> warnings;
  int64_t overhead_ns = 0;
  double decrements_per_second = 0;
  double counting_fraction = 0;  // kernel / (slots_used x wall)
  Percentiles chunk_durations;
  JobCounters counters;
  std::vector<WorkerReport> workers;
};

// A worker as its Hello said (the identity) and as the scheduler saw it since.
struct WorkerView : WorkerIdentity {
  WorkerState state = WorkerState::kConnected;
  int64_t chunks_running = 0;     // on a slot now
  int64_t chunks_prefetched = 0;  // leased, waiting in its queue
  Calibration calibration;        // age_ns: its age now
  int64_t chunks_done = 0;
  int64_t decrements_done = 0;
  int64_t busy_ns = 0;
  int64_t connected_wall_ns = 0;
  int64_t last_seen_wall_ns = 0;
  int64_t sessions = 0;
  int64_t lease_expiries = 0;
  int64_t drains = 0;
  int64_t leases_lost = 0;
  ProcessUsage usage;           // the worker process's latest report
  bool usage_reported = false;  // usage holds one
  double cpu_cores = 0;         // CPU time per wall second between its last two reports
};

struct WorkerProgress : WorkerIdentityView {
  int64_t chunks_running = 0;
  int64_t chunks_done = 0;
  int64_t decrements_done = 0;
  int64_t chunks_prefetched = 0;
};

struct JobProgress {
  JobView job;
  double decrements_per_second = 0;
  int64_t eta_ns = 0;
  double cpu_share = 0;  // cpu / busy so far
  std::vector<std::string> warnings;
  std::vector<WorkerProgress> workers;
};

}  // namespace tminus

namespace tminus {

// Everything about a job that survives a coordinator restart. Plain data: the
// store encodes it; Scheduler::Restore rebuilds the job from it.
struct JobSnapshot {
  JobId id = 0;
  std::string request_id;
  JobSpec spec;
  JobState state = JobState::kQueued;
  std::string error;
  int64_t submit_wall_ns = 0;
  int64_t start_wall_ns = 0;
  int64_t end_wall_ns = 0;
  int64_t elapsed_ns = 0;         // first dispatch to the last accepted result
  int64_t submit_to_done_ns = 0;  // terminal jobs
  int64_t decrements_done = 0;
  int64_t completion_base = 0;    // CompletionSet: every chunk below is done
  std::vector<uint64_t> completion_words;
  int64_t completion_size = 0;
  int64_t busy_ns = 0;
  int64_t cpu_ns = 0;
  int64_t kernel_ns = 0;
  std::vector<std::pair<int32_t, int64_t>> histogram;  // non-empty buckets
  int64_t histogram_count = 0;
  int64_t histogram_min = 0;
  int64_t histogram_max = 0;
  JobCounters counters;
  struct Worker {
    std::string worker_id;
    std::string host;
    int32_t slots = 0;
    int64_t chunks = 0;
    int64_t decrements = 0;
    int64_t busy_ns = 0;
    int64_t cpu_ns = 0;
    std::vector<int64_t> slot_chunks;
    std::vector<int64_t> slot_decrements;
    std::vector<int64_t> slot_busy_ns;
    int64_t reference_ns = 0;             // at its calibrated one-slot rate
    int64_t unreferenced_decrements = 0;  // done while it had no calibration
  };
  std::vector<Worker> workers;
};

// Cumulative counts since the coordinator started, bumped on the hot path
// (plain integers: the scheduler is single-threaded) and read by the
// snapshot that feeds /metrics.
struct SchedulerCounters {
  int64_t chunks_completed = 0;  // accepted results
  int64_t decrements = 0;        // in accepted results
  int64_t leases_granted = 0;    // first attempts, retries and backups
  int64_t retries = 0;
  int64_t lease_expiries = 0;
  int64_t duplicates = 0;
  int64_t backups = 0;
  int64_t handed_back = 0;
  int64_t busy_ns = 0;           // durations of accepted chunks, summed
  int64_t sessions_opened = 0;
  int64_t sessions_ended = 0;
  int64_t jobs_submitted = 0;
  int64_t jobs_succeeded = 0;
  int64_t jobs_failed = 0;
  int64_t jobs_cancelled = 0;
  int64_t results_unleased = 0;  // from sessions that held no such lease: dropped
};

// What the cluster looks like now (gauges).
struct ClusterTotals {
  int64_t workers_connected = 0;
  int64_t slots_total = 0;  // of connected workers
  int64_t slots_busy = 0;   // running a lease
  int64_t jobs_queued = 0;
  int64_t jobs_running = 0;
  int64_t chunks_queued = 0;  // of jobs queued or running, neither done nor leased
};

enum class EventOutcome : uint8_t { kOk, kDuplicate, kFailed, kCancelled };

// One reported chunk attempt, for the slot timeline.
struct TimelineEvent {
  int32_t row = 0;  // index into JobTimeline::rows
  int64_t chunk = 0;
  int32_t attempt = 0;
  int64_t start_ns = 0;  // since the job's first dispatch (wall clock)
  int64_t end_ns = 0;
  EventOutcome outcome = EventOutcome::kOk;
};

struct TimelineRow {
  std::string worker_id;
  int32_t slot = 0;
};

// A job's recent chunk attempts, one row per worker slot.
struct JobTimeline {
  int64_t start_wall_ns = 0;
  std::vector<TimelineRow> rows;
  std::vector<TimelineEvent> events;
  bool truncated = false;  // older events were dropped (ring) or sampled (finished job)
};

// One point of a scaling study (`tminus scale`), as the coordinator keeps it.
struct StudyPoint {
  std::string executor;  // "threads" or "processes"
  int32_t slots = 0;
  int64_t wall_ns = 0;  // median over the repeats
  int64_t wall_min_ns = 0;
  int64_t wall_max_ns = 0;
  double speedup = 0;
  double efficiency = 0;
  std::optional<double> karp_flatt;  // unset at a series' first point (undefined)
  double calibrated_min = 0;         // the spread of its calibrations
  double calibrated_max = 0;
  double rate = 0;  // decrements per second
  double counting_fraction = 0;  // kernel time / (slots x wall)
  double calibrated_rate = 0;    // the bare kernel on `slots` threads at once
  double vs_calibration = 0;     // rate / calibrated_rate
  std::string mode;       // "strong" or "weak" ("" from 0.2: strong)
  std::string axis;       // "slots" or "hosts"
  std::string placement;  // "any", "packed" or "spread"
  int32_t hosts = 0;
  int64_t n = 0;  // this point's n (grows with slots when weak)
};

struct StudyRecord {
  uint64_t id = 0;
  std::string name;
  int64_t created_wall_ns = 0;
  int64_t n = 0;
  int64_t chunks = 0;
  int32_t repeat = 0;
  double bare_rate = 0;  // the bare kernel, one thread, decrements per second
  std::vector<StudyPoint> points;
  int32_t physical_cores = 0;         // of the hosts used; 0: unknown
  std::vector<int32_t> host_boundaries;  // slot counts at which packed fills a host
};

}  // namespace tminus
