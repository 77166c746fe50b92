"""What the client returns: dataclasses of plain numbers (seconds as floats),
named as in `tminus ... --output csv`."""
from dataclasses import dataclass, field
from typing import Optional, Dict, List

from tminus.v1 import common_pb2, jobs_pb2


def _seconds(ns: int) -> float:
    return ns / 1e9


def state_name(state: int) -> str:
    """JOB_STATE_SUCCEEDED -> "succeeded"."""
    return jobs_pb2.JobState.Name(state).removeprefix("JOB_STATE_").lower()


def executor_name(executor: int) -> str:
    return common_pb2.Executor.Name(executor).removeprefix("EXECUTOR_").lower()


@dataclass(frozen=True)
class JobStatus:
    job_id: int
    name: str
    state: str
    n: int
    executor: str
    chunks_done: int
    chunk_total: int
    chunks_running: int
    decrements_done: int
    elapsed_seconds: float
    error: str
    waiting_reason: str
    chunks_prefetched: int = 0  # leased, waiting in a worker's queue (running: on a slot)

    @classmethod
    def from_proto(cls, job: jobs_pb2.Job) -> "JobStatus":
        return cls(job.id, job.spec.name, state_name(job.state), job.spec.n,
                   executor_name(job.spec.executor), job.chunks_done, job.chunk_total,
                   job.chunks_running, job.decrements_done, _seconds(job.elapsed_ns), job.error,
                   job.waiting_reason, job.chunks_prefetched)

    @property
    def terminal(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class SlotReport:
    slot: int
    chunks: int
    decrements: int
    busy_seconds: float
    utilisation: float  # busy / job wall


@dataclass(frozen=True)
class ChunkDurations:
    """The spread of a job's chunk durations, seconds."""
    count: int
    min_seconds: float
    p50_seconds: float
    p90_seconds: float
    p99_seconds: float
    max_seconds: float


@dataclass(frozen=True)
class WorkerReport:
    worker_id: str
    host: str
    slots: int
    chunks: int
    decrements: int
    busy_seconds: float
    utilisation: float
    decrements_per_second: float
    cpu_share: float = 0.0
    reference_rate: float = 0.0  # its calibrated one-slot rate; 0: none
    cpu_seconds: float = 0.0
    slot_reports: List[SlotReport] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    job_id: int
    state: str
    n: int
    decrements: int
    exact: bool  # decrements == n: every chunk counted exactly once
    chunks_done: int
    chunk_total: int
    executor: str
    slots_used: int
    wall_seconds: float
    submit_to_done_seconds: float
    busy_seconds: float
    cpu_seconds: float
    # docs/architecture.md, "Figures": speedup and efficiency are None where
    # no calibrated one-slot reference backs them.
    speedup: Optional[float]
    efficiency: Optional[float]
    overhead_seconds: float
    decrements_per_second: float
    kernel_seconds: float
    counting_fraction: float
    retries: int
    duplicates: int
    failed_attempts: int
    error: str
    workers: List[WorkerReport] = field(default_factory=list)
    parallelism: float = 0.0      # busy / wall
    occupancy: float = 0.0        # busy / (slots x wall)
    cpu_parallelism: float = 0.0  # cpu / wall
    cpu_share: float = 0.0        # cpu / busy
    speedup_reference: str = ""
    warnings: List[str] = field(default_factory=list)
    reference_seconds: float = 0.0  # the serial time at the calibrated rates (speedup's T1)
    lease_expiries: int = 0
    backups: int = 0
    handed_back: int = 0
    chunk_durations: Optional[ChunkDurations] = None
    name: str = ""
    max_slots: int = 0

    @classmethod
    def from_proto(cls, r: jobs_pb2.JobReport) -> "Report":
        workers = [WorkerReport(w.worker_id, w.host, w.slots, w.chunks, w.decrements,
                                _seconds(w.busy_ns), w.utilisation, w.decrements_per_second,
                                w.cpu_share, w.reference_decrements_per_second,
                                _seconds(w.cpu_ns),
                                [SlotReport(s.slot, s.chunks, s.decrements, _seconds(s.busy_ns),
                                            s.utilisation) for s in w.slot_reports])
                   for w in r.workers]
        d = r.chunk_durations
        durations = ChunkDurations(d.count, _seconds(d.min_ns), _seconds(d.p50_ns),
                                   _seconds(d.p90_ns), _seconds(d.p99_ns), _seconds(d.max_ns))
        speedup = r.speedup if r.HasField("speedup") else None
        efficiency = r.efficiency if r.HasField("efficiency") else None
        return cls(r.job_id, state_name(r.state), r.n, r.decrements, r.decrements == r.n,
                   r.chunks_done, r.chunk_total, executor_name(r.spec.executor), r.slots_used,
                   _seconds(r.wall_ns), _seconds(r.submit_to_done_ns), _seconds(r.busy_ns),
                   _seconds(r.cpu_ns), speedup, efficiency, _seconds(r.overhead_ns),
                   r.decrements_per_second, _seconds(r.kernel_ns), r.counting_fraction,
                   r.counters.retries, r.counters.duplicates, r.counters.failed_attempts,
                   r.error, workers, r.parallelism, r.occupancy, r.cpu_parallelism, r.cpu_share,
                   r.speedup_reference, list(r.warnings), _seconds(r.reference_ns),
                   r.counters.lease_expiries, r.counters.backups, r.counters.handed_back,
                   durations if r.HasField("chunk_durations") else None, r.spec.name,
                   r.spec.max_slots)


@dataclass(frozen=True)
class Topology:
    """The worker's host as it reported it."""
    logical_cpus: int
    physical_cores: int  # 0: unknown
    sockets: int
    numa_nodes: int
    smt: bool  # some core has two or more logical CPUs
    cpu_model: str


@dataclass(frozen=True)
class Calibration:
    """The bare countdown on one of the worker's threads, measured while
    idle: decrements per CPU-second (the median sample, and the spread)."""
    decrements_per_second: float
    min_decrements_per_second: float
    max_decrements_per_second: float
    samples: int
    cpu_share: float  # under 0.9: the thread was not alone on its CPU
    age_seconds: float  # how old the measure was when the coordinator sent it


@dataclass(frozen=True)
class Worker:
    worker_id: str
    host: str
    state: str
    slots: int
    executors: List[str]
    chunks_running: int
    chunks_done: int
    decrements_done: int
    busy_seconds: float
    labels: Dict[str, str]
    chunks_prefetched: int = 0
    # The bare kernel on one idle thread (decrements per CPU-second); None
    # until the worker has measured it.
    calibrated_rate: Optional[float] = None
    calibration: Optional[Calibration] = None  # None until the first measure
    topology: Optional[Topology] = None  # None from a worker that sent none
    kernels: List[str] = field(default_factory=list)  # besides the countdown: python, command
    version: str = ""
    incarnation: int = 0
    sessions: int = 0
    lease_expiries: int = 0
    drains: int = 0
    leases_lost: int = 0

    @classmethod
    def from_proto(cls, w: jobs_pb2.WorkerInfo) -> "Worker":
        state = jobs_pb2.WorkerState.Name(w.state).removeprefix("WORKER_STATE_").lower()
        c, t = w.calibration, w.topology
        calibration = Calibration(c.decrements_per_second, c.min_decrements_per_second,
                                  c.max_decrements_per_second, c.samples, c.cpu_share,
                                  c.age_ms / 1000) if w.HasField("calibration") else None
        topology = Topology(t.logical_cpus, t.physical_cores, t.sockets, t.numa_nodes, t.smt,
                            t.cpu_model) if w.HasField("topology") else None
        kernels = [common_pb2.KernelKind.Name(k).removeprefix("KERNEL_KIND_").lower()
                   for k in w.kernels]
        return cls(w.worker_id, w.host, state, w.slots, [executor_name(e) for e in w.executors],
                   w.chunks_running, w.chunks_done, w.decrements_done, _seconds(w.busy_ns),
                   dict(w.labels), w.chunks_prefetched,
                   calibration.decrements_per_second if calibration else None, calibration,
                   topology, kernels, w.version, w.incarnation, w.sessions, w.lease_expiries,
                   w.drains, w.leases_lost)


@dataclass(frozen=True)
class ScaleRow:
    """One point of a scaling study, the columns of `tminus scale --output
    csv` (cli/scale_output.cc, ScaleCsv) plus the runs' walls and job ids.
    Strong: speedup = T(series' first point) / T(this), efficiency = speedup /
    (slots / first slots), karp_flatt = (1/speedup - 1/p) / (1 - 1/p). Weak
    (n grows with the slots): efficiency = T(first) / T(this), speedup =
    efficiency x slots / first slots, no Karp-Flatt."""
    series: str      # "threads", "threads weak", "processes packed", "threads hosts", ...
    executor: str    # threads, processes
    mode: str        # strong, weak
    axis: str        # slots, hosts
    placement: str   # any, packed, spread
    hosts: int       # hosts whose workers ran chunks (the most over the runs)
    slots: int
    runs: int
    n: int           # this point's n (weak: n x slots)
    wall_median_seconds: float
    wall_min_seconds: float
    wall_max_seconds: float
    speedup: float
    efficiency: float
    karp_flatt: Optional[float]  # None at the first point and for weak scaling
    decrements_per_second: float  # n / median wall
    counting_fraction: float      # kernel time / (slots x wall), median over the runs
    calibrated_decrements_per_second: float  # the bare kernel on `slots` threads; 0: none
    vs_calibration: float         # rate / calibrated rate; 0: no calibration
    physical_cores: int           # of the hosts the point may use; 0: unknown
    past_physical_cores: bool
    bare_rate_per_thread: float   # the study's calibration at 1 slot; 0: unknown
    chunks: int                   # of the study's base job
    calibrated_min_decrements_per_second: float
    calibrated_max_decrements_per_second: float
    doubtful: bool  # runs spread > 20%, efficiency or vs_calibration > 105%, or Karp-Flatt < 0
    wall_seconds: List[float]
    job_ids: List[int]
