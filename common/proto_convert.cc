#include "common/proto_convert.h"

#include <algorithm>

namespace tminus {

ExecutorKind FromProto(v1::Executor executor) {
  switch (executor) {
    case v1::EXECUTOR_THREADS: return ExecutorKind::kThreads;
    case v1::EXECUTOR_PROCESSES: return ExecutorKind::kProcesses;
    default: return ExecutorKind::kUnspecified;
  }
}

v1::Executor ToProto(ExecutorKind kind) {
  switch (kind) {
    case ExecutorKind::kThreads: return v1::EXECUTOR_THREADS;
    case ExecutorKind::kProcesses: return v1::EXECUTOR_PROCESSES;
    case ExecutorKind::kUnspecified: break;
  }
  return v1::EXECUTOR_UNSPECIFIED;
}

bool FromProto(v1::KernelKind proto, KernelKind* out) {
  switch (proto) {
    case v1::KERNEL_KIND_COUNTDOWN: *out = KernelKind::kCountdown; return true;
    case v1::KERNEL_KIND_PYTHON: *out = KernelKind::kPython; return true;
    case v1::KERNEL_KIND_COMMAND: *out = KernelKind::kCommand; return true;
    default: return false;
  }
}

v1::KernelKind ToProto(KernelKind kind) {
  switch (kind) {
    case KernelKind::kPython: return v1::KERNEL_KIND_PYTHON;
    case KernelKind::kCommand: return v1::KERNEL_KIND_COMMAND;
    case KernelKind::kCountdown: break;
  }
  return v1::KERNEL_KIND_COUNTDOWN;
}

std::shared_ptr<const KernelSpec> FromProto(const v1::Kernel& proto) {
  auto kernel = std::make_shared<KernelSpec>();
  switch (proto.kind_case()) {
    case v1::Kernel::kPython:
      kernel->kind = KernelKind::kPython;
      kernel->source = proto.python().source();
      kernel->function = proto.python().function();
      kernel->file_name = proto.python().file_name();
      return kernel;
    case v1::Kernel::kCommand:
      kernel->kind = KernelKind::kCommand;
      kernel->argv.assign(proto.command().argv().begin(), proto.command().argv().end());
      return kernel;
    default:
      return nullptr;
  }
}

void ToProto(const KernelSpec& kernel, v1::Kernel* out) {
  switch (kernel.kind) {
    case KernelKind::kPython: {
      v1::PythonKernel* python = out->mutable_python();
      python->set_source(kernel.source);
      python->set_function(kernel.function);
      python->set_file_name(kernel.file_name);
      break;
    }
    case KernelKind::kCommand:
      for (const std::string& arg : kernel.argv) out->mutable_command()->add_argv(arg);
      break;
    case KernelKind::kCountdown:
      break;
  }
}

JobSpec FromProto(const v1::JobSpec& proto) {
  JobSpec spec;
  spec.n = proto.n();
  if (proto.chunking_case() == v1::JobSpec::kChunkCount) spec.chunk_count = proto.chunk_count();
  if (proto.chunking_case() == v1::JobSpec::kChunkSize) spec.chunk_size = proto.chunk_size();
  spec.executor = FromProto(proto.executor());
  spec.max_slots = proto.max_slots();
  spec.priority = proto.priority();
  spec.name = proto.name();
  spec.labels.insert(proto.labels().begin(), proto.labels().end());
  spec.selector.insert(proto.selector().begin(), proto.selector().end());
  spec.workers.assign(proto.workers().begin(), proto.workers().end());
  spec.max_slots_per_worker = proto.max_slots_per_worker();
  spec.max_attempts = proto.max_attempts();
  spec.time_limit_ms = proto.time_limit_ms();
  if (proto.has_kernel()) spec.kernel = FromProto(proto.kernel());
  return spec;
}

v1::JobSpec ToProto(const JobSpec& spec) {
  v1::JobSpec proto;
  proto.set_n(spec.n);
  if (spec.chunk_count.has_value()) proto.set_chunk_count(*spec.chunk_count);
  if (spec.chunk_size.has_value()) proto.set_chunk_size(*spec.chunk_size);
  proto.set_executor(ToProto(spec.executor));
  proto.set_max_slots(spec.max_slots);
  proto.set_priority(spec.priority);
  proto.set_name(spec.name);
  proto.mutable_labels()->insert(spec.labels.begin(), spec.labels.end());
  proto.mutable_selector()->insert(spec.selector.begin(), spec.selector.end());
  for (const std::string& worker : spec.workers) proto.add_workers(worker);
  proto.set_max_slots_per_worker(spec.max_slots_per_worker);
  proto.set_max_attempts(spec.max_attempts);
  proto.set_time_limit_ms(spec.time_limit_ms);
  if (spec.kernel != nullptr) ToProto(*spec.kernel, proto.mutable_kernel());
  return proto;
}

void SetTimestamp(int64_t wall_ns, google::protobuf::Timestamp* out) {
  if (wall_ns == 0) return;
  out->set_seconds(wall_ns / 1'000'000'000);
  out->set_nanos(static_cast<int32_t>(wall_ns % 1'000'000'000));
}

int64_t TimestampNs(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1'000'000'000 + ts.nanos();
}

void ToProto(const JobCounters& counters, v1::JobCounters* out) {
  out->set_retries(counters.retries);
  out->set_duplicates(counters.duplicates);
  out->set_failed_attempts(counters.failed_attempts);
  out->set_lease_expiries(counters.lease_expiries);
  out->set_backups(counters.backups);
  out->set_handed_back(counters.handed_back);
}

void ToProto(const Topology& topology, v1::Topology* out) {
  out->set_logical_cpus(topology.logical_cpus);
  out->set_physical_cores(topology.physical_cores);
  out->set_sockets(topology.sockets);
  out->set_numa_nodes(topology.numa_nodes);
  out->set_smt(topology.smt);
  out->set_cpu_model(topology.cpu_model);
}

void ToProto(const WorkerIdentity& identity, v1::Hello* out) {
  out->set_worker_id(identity.worker_id);
  out->set_incarnation(identity.incarnation);
  out->set_host(identity.host);
  out->set_slots(identity.slots);
  if (identity.threads) out->add_executors(v1::EXECUTOR_THREADS);
  if (identity.processes) out->add_executors(v1::EXECUTOR_PROCESSES);
  for (KernelKind kind : {KernelKind::kPython, KernelKind::kCommand}) {
    if (identity.Allows(kind)) out->add_kernels(ToProto(kind));
  }
  out->set_version(identity.version);
  out->mutable_labels()->insert(identity.labels.begin(), identity.labels.end());
  ToProto(identity.topology, out->mutable_topology());
}

Topology FromProto(const v1::Topology& topology) {
  Topology out;
  out.logical_cpus = topology.logical_cpus();
  out.physical_cores = topology.physical_cores();
  out.sockets = topology.sockets();
  out.numa_nodes = topology.numa_nodes();
  out.smt = topology.smt();
  out.cpu_model = topology.cpu_model();
  return out;
}

JobCounters FromProto(const v1::JobCounters& counters) {
  JobCounters out;
  out.retries = counters.retries();
  out.duplicates = counters.duplicates();
  out.failed_attempts = counters.failed_attempts();
  out.lease_expiries = counters.lease_expiries();
  out.backups = counters.backups();
  out.handed_back = counters.handed_back();
  return out;
}

void ToProto(const Calibration& c, v1::Calibration* out) {
  out->set_decrements_per_second(c.rate);
  out->set_min_decrements_per_second(c.min_rate);
  out->set_max_decrements_per_second(c.max_rate);
  out->set_samples(c.samples);
  out->set_cpu_share(c.cpu_share);
  out->set_age_ms(c.age_ns / 1'000'000);
}

Calibration FromProto(const v1::Calibration& c) {
  Calibration out;
  out.rate = c.decrements_per_second();
  out.min_rate = c.min_decrements_per_second();
  out.max_rate = c.max_decrements_per_second();
  out.samples = c.samples();
  out.cpu_share = c.cpu_share();
  // Capped: a hostile age must not overflow the conversion.
  out.age_ns = std::min<int64_t>(c.age_ms(), int64_t{1} << 40) * 1'000'000;
  return out;
}

void ToProto(const ProcessUsage& usage, v1::ProcessUsage* out) {
  out->set_cpu_ns(usage.cpu_ns);
  out->set_resident_bytes(usage.resident_bytes);
  out->set_threads(usage.threads);
  out->set_open_fds(usage.open_fds);
  out->set_sampled_mono_ns(usage.sampled_mono_ns);
}

ProcessUsage FromProto(const v1::ProcessUsage& usage) {
  // Within [0, 2^50]: shown as JSON numbers, exact below 2^53, and a
  // difference of two never overflows.
  constexpr int64_t kMax = int64_t{1} << 50;
  ProcessUsage out;
  out.cpu_ns = std::clamp<int64_t>(usage.cpu_ns(), 0, kMax);
  out.resident_bytes = std::clamp<int64_t>(usage.resident_bytes(), 0, kMax);
  out.threads = std::max(0, usage.threads());
  out.open_fds = std::max(0, usage.open_fds());
  out.sampled_mono_ns = std::clamp<int64_t>(usage.sampled_mono_ns(), 0, int64_t{1} << 62);
  return out;
}

}  // namespace tminus
