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

    @classmethod
    def from_proto(cls, r: jobs_pb2.JobReport) -> "Report":
        workers = [WorkerReport(w.worker_id, w.host, w.slots, w.chunks, w.decrements,
                                _seconds(w.busy_ns), w.utilisation, w.decrements_per_second,
                                w.cpu_share, w.reference_decrements_per_second)
                   for w in r.workers]
        speedup = r.speedup if r.HasField("speedup") else None
        efficiency = r.efficiency if r.HasField("efficiency") else None
        return cls(r.job_id, state_name(r.state), r.n, r.decrements, r.decrements == r.n,
                   r.chunks_done, r.chunk_total, executor_name(r.spec.executor), r.slots_used,
                   _seconds(r.wall_ns), _seconds(r.submit_to_done_ns), _seconds(r.busy_ns),
                   _seconds(r.cpu_ns), speedup, efficiency, _seconds(r.overhead_ns),
                   r.decrements_per_second, _seconds(r.kernel_ns), r.counting_fraction,
                   r.counters.retries, r.counters.duplicates, r.counters.failed_attempts,
                   r.error, workers, r.parallelism, r.occupancy, r.cpu_parallelism, r.cpu_share,
                   r.speedup_reference, list(r.warnings))


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

    @classmethod
    def from_proto(cls, w: jobs_pb2.WorkerInfo) -> "Worker":
        state = jobs_pb2.WorkerState.Name(w.state).removeprefix("WORKER_STATE_").lower()
        calibrated = w.calibration.decrements_per_second if w.HasField("calibration") else None
        return cls(w.worker_id, w.host, state, w.slots, [executor_name(e) for e in w.executors],
                   w.chunks_running, w.chunks_done, w.decrements_done, _seconds(w.busy_ns),
                   dict(w.labels), w.chunks_prefetched, calibrated)


@dataclass(frozen=True)
class ScaleRow:
    """One point of a strong-scaling study, defined as `tminus scale` defines
    it (docs/python.md, "Scaling"): the median wall of `runs` runs at `slots` slots;
    speedup = T(first point) / T(this); efficiency = speedup / (slots / first
    slots); karp_flatt = (1/speedup - 1/p) / (1 - 1/p), p = slots / first."""
    executor: str
    slots: int
    runs: int
    n: int
    wall_median_seconds: float
    wall_min_seconds: float
    wall_max_seconds: float
    speedup: float
    efficiency: float
    karp_flatt: Optional[float]  # None at the first point, where it is undefined
    decrements_per_second: float
    counting_fraction: float
    job_ids: List[int]
