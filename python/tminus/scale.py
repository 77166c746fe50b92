"""The scaling study of `tminus scale`, ported from cli/scale.cc (the
runs), cli/scale_plan.cc (where each point runs), cli/scale_output.cc (what
is doubtful, the study the coordinator keeps) and common/study_series.cc
(series names). Same series, same order, one job at a time."""
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence

from tminus.records import ScaleRow, executor_name
from tminus.v1 import common_pb2, jobs_pb2

if TYPE_CHECKING:
    from tminus.client import Client

WIDE_SPREAD = 0.2          # scale.h, kWideSpread
ABOVE_CEILING = 1.05       # scale.h, kAboveCeiling
MIN_CALIBRATION_S = 0.5    # scale.h, kMinCalibrationS
# common/study_series.h, kStudyLabel: `tminus list` and the dashboard hide
# the jobs so labelled unless asked for all.
STUDY_LABEL = "tminus.io/study"
FALLBACK_THREAD_RATE = 1e9  # scale.h, kFallbackThreadRate
PLACEMENTS = ("any", "packed", "spread")


@dataclass
class _Host:
    name: str
    workers: List[str] = field(default_factory=list)
    slots: int = 0
    physical_cores: int = 0


@dataclass
class _Plan:  # scale_plan.h, PointPlan
    slots: int = 0
    workers: List[str] = field(default_factory=list)
    per_worker: int = 0
    physical_cores: int = 0


@dataclass
class _Point:  # scale.h, ScalePoint (the runs; the figures come in summarise)
    executor: common_pb2.Executor
    mode: str
    axis: str
    placement: str
    slots: int
    plan: _Plan
    hosts: int = 0
    n: int = 0
    walls: List[float] = field(default_factory=list)
    counting: List[float] = field(default_factory=list)
    calibration: List[float] = field(default_factory=list)
    job_ids: List[int] = field(default_factory=list)

    @property
    def series(self) -> str:  # study_series.cc, StudySeriesName
        name = executor_name(self.executor) + (" weak" if self.mode == "weak" else "")
        if self.axis == "hosts":
            return name + " hosts"
        return name if self.placement == "any" else f"{name} {self.placement}"


def cluster_of(workers: Sequence[jobs_pb2.WorkerInfo], on: Dict[str, str],
               names: Sequence[str]) -> List[_Host]:
    """scale_plan.cc, ClusterOf: connected workers matching `on` and
    `names`, grouped by their `host` label (else host), sorted by name."""
    hosts: Dict[str, _Host] = {}
    for w in workers:
        if w.state != jobs_pb2.WORKER_STATE_CONNECTED:
            continue
        if any(w.labels.get(k) != v for k, v in on.items()) or (names and w.worker_id not in names):
            continue
        name = w.labels.get("host") or w.host
        host = hosts.setdefault(name, _Host(name))
        host.workers.append(w.worker_id)
        host.slots += w.slots
        host.physical_cores = max(host.physical_cores, w.topology.physical_cores)
    if not hosts:
        raise ValueError("no connected worker matches on / workers" if on or names
                         else "no worker is connected to the coordinator")
    for host in hosts.values():
        host.workers.sort()
    return [hosts[name] for name in sorted(hosts)]


def _use_hosts(hosts: List[_Host], count: int, plan: _Plan) -> None:
    used = hosts[:count]
    for host in used:
        plan.workers.extend(host.workers)
    known = all(h.physical_cores > 0 for h in used)
    plan.physical_cores = sum(h.physical_cores for h in used) if known else 0


def plan_slots(hosts: List[_Host], slots: int, placement: str, restricted: bool) -> _Plan:
    """scale_plan.cc, PlanSlots."""
    plan = _Plan(slots=slots)
    if placement == "packed":
        used = filled = 0
        while filled < slots and used < len(hosts):
            filled += hosts[used].slots
            used += 1
        _use_hosts(hosts, used, plan)
        return plan
    _use_hosts(hosts, len(hosts), plan)
    if placement == "spread":
        plan.per_worker = -(-slots // len(plan.workers))
    elif not restricted:
        plan.workers = []  # any worker, as a plain submit would
    return plan


def plan_hosts(hosts: List[_Host], count: int) -> _Plan:
    """scale_plan.cc, PlanHosts: every slot of the first `count` hosts."""
    plan = _Plan(slots=sum(h.slots for h in hosts[:count]))
    _use_hosts(hosts, count, plan)
    return plan


def default_slot_list(total: int, physical_cores: int = 0) -> List[int]:
    """scale_plan.cc, DefaultSlotList: 1, 2, 4, ... below the total, the
    total, and the physical cores when known and below the total."""
    slots, s = [], 1
    while s < total:
        slots.append(s)
        s *= 2
    slots.append(max(total, 1))
    if 1 < physical_cores < total:
        slots.append(physical_cores)
    return sorted(set(slots))


def _median(values: List[float]) -> float:
    return statistics.median(values) if values else 0.0


class Study:
    """One run of the study; Client.scale() is its front door."""

    def __init__(self, client: "Client", spec: common_pb2.JobSpec, chunk_count: Optional[int],
                 repeat: int, calibrate: bool, progress: Callable[[str], None]):
        self._client = client
        self._spec = spec  # n, chunking, kernel of the base job
        self._chunk_count = chunk_count
        self._repeat = repeat
        self._calibrate = calibrate
        self._progress = progress

    def _run_one(self, spec: common_pb2.JobSpec) -> jobs_pb2.JobReport:
        """scale.cc, RunOne: every job must finish exactly."""
        job = self._client._submit_spec(spec)
        job.wait(_raise=False)
        report = self._client._call("GetJobReport",
                                    jobs_pb2.GetJobReportRequest(job_id=job.id)).report
        if report.state != jobs_pb2.JOB_STATE_SUCCEEDED or report.decrements != report.n:
            from tminus.errors import JobFailedError
            from tminus.records import Report
            raise JobFailedError(Report.from_proto(report))
        return report

    @staticmethod
    def _place(plan: _Plan, spec: common_pb2.JobSpec) -> None:
        spec.max_slots = plan.slots
        spec.max_slots_per_worker = plan.per_worker
        spec.workers.extend(plan.workers)

    def _calibrate_point(self, p: _Point, point_n: int, thread_rate: List[float]) -> float:
        """scale.cc, Calibrate: the bare kernel on `slots` threads at once on
        the point's workers, one chunk per slot; the aggregate rate."""
        least = int(thread_rate[0] * MIN_CALIBRATION_S)
        per_thread = min(max(max(point_n // p.slots // 4, least), 2_000_000), 50_000_000_000)
        spec = common_pb2.JobSpec(n=per_thread * p.slots, chunk_count=p.slots,
                                  executor=p.executor, name="scale-calibration")
        spec.labels[STUDY_LABEL] = "calibration"
        self._place(p.plan, spec)
        report = self._run_one(spec)
        if report.kernel_ns <= 0:
            return 0.0
        rate = spec.n * p.slots / (report.kernel_ns * 1e-9)
        thread_rate[0] = rate / p.slots
        return rate

    def _run_point(self, p: _Point, run: int, thread_rate: List[float]) -> None:
        """scale.cc, RunPoint: calibration, the job, calibration."""
        factor = p.slots if p.mode == "weak" else 1
        spec = common_pb2.JobSpec()
        spec.CopyFrom(self._spec)
        spec.n = self._spec.n * factor
        if self._chunk_count is not None:
            spec.chunk_count = self._chunk_count * factor
        spec.executor = p.executor
        self._place(p.plan, spec)
        spec.name = f"scale-{p.series}-{p.slots}".replace(" ", "-")
        spec.labels[STUDY_LABEL] = "point"
        before = self._calibrate_point(p, spec.n, thread_rate) if self._calibrate else 0.0
        report = self._run_one(spec)
        after = self._calibrate_point(p, spec.n, thread_rate) if self._calibrate else 0.0
        wall = report.wall_ns * 1e-9
        p.n = spec.n
        p.walls.append(wall)
        p.counting.append(report.kernel_ns * 1e-9 / (p.slots * wall) if wall > 0 else 0.0)
        if self._calibrate:
            p.calibration += [before, after]
        p.hosts = max(p.hosts, len({w.host for w in report.workers if w.chunks > 0}))
        p.job_ids.append(report.job_id)
        self._progress(f"{p.series} at {p.slots} slot(s) ({p.hosts} host(s)), run {run + 1}/"
                       f"{self._repeat}: {wall:.3f} s, counting {p.counting[-1]:.1%}")

    def run(self, all_series: List[List[_Point]]) -> None:
        # As the CLI: repeats go round the whole study, so a noisy moment on
        # a shared machine spreads over all points instead of skewing one.
        thread_rate = [FALLBACK_THREAD_RATE]
        for w in self._client._list_workers():
            thread_rate[0] = max(thread_rate[0], w.calibration.decrements_per_second)
        for run in range(self._repeat):
            for series in all_series:
                for p in series:
                    self._run_point(p, run, thread_rate)


def summarise(series: List[_Point], chunks: int) -> List[ScaleRow]:
    """scale.cc, Summarise (against the series' first point) and
    scale_output.cc, Doubtful. bare_rate_per_thread is filled by the caller."""
    base = series[0]
    base_s = _median(base.walls)
    rows = []
    for p in series:
        median = _median(p.walls)
        relative = p.slots / base.slots
        karp_flatt: Optional[float] = None
        if p.mode == "weak":
            efficiency = base_s / median
            speedup = efficiency * relative
        else:
            speedup = base_s / median
            efficiency = speedup / relative
            if relative > 1 and speedup > 0:  # scale.cc, KarpFlatt
                karp_flatt = (1 / speedup - 1 / relative) / (1 - 1 / relative)
        rate = p.n / median
        calibrated = _median(p.calibration)
        vs_calibration = rate / calibrated if calibrated > 0 else 0.0
        low, high = min(p.walls), max(p.walls)
        wide = len(p.walls) > 1 and median > 0 and (high - low) / median > WIDE_SPREAD
        doubtful = (wide or efficiency > ABOVE_CEILING or (karp_flatt or 0) < 0
                    or vs_calibration > ABOVE_CEILING)
        rows.append(ScaleRow(
            p.series, executor_name(p.executor), p.mode, p.axis, p.placement, p.hosts, p.slots,
            len(p.walls), p.n, median, low, high, speedup, efficiency, karp_flatt, rate,
            _median(p.counting), calibrated, vs_calibration, p.plan.physical_cores,
            0 < p.plan.physical_cores < p.slots, 0.0, chunks,
            min(p.calibration, default=0.0), max(p.calibration, default=0.0), doubtful,
            list(p.walls), list(p.job_ids)))
    return rows


def study_proto(rows: List[ScaleRow], n: int, chunks: int, repeat: int, name: str,
                hosts: List[_Host]) -> jobs_pb2.Study:
    """scale_output.cc, StudyProto: the study as the coordinator keeps it."""
    study = jobs_pb2.Study(name=name, n=n, chunk_count=chunks, repeat=repeat,
                           bare_decrements_per_second=rows[0].bare_rate_per_thread)
    plan = _Plan()
    _use_hosts(hosts, len(hosts), plan)
    study.physical_cores = plan.physical_cores
    total = 0
    for host in hosts:
        total += host.slots
        study.host_boundaries.append(total)
    executors = {"threads": common_pb2.EXECUTOR_THREADS,
                 "processes": common_pb2.EXECUTOR_PROCESSES}
    for r in rows:
        point = study.points.add(
            executor=executors[r.executor], slots=r.slots,
            wall_ns=int(r.wall_median_seconds * 1e9), wall_min_ns=int(r.wall_min_seconds * 1e9),
            wall_max_ns=int(r.wall_max_seconds * 1e9), speedup=r.speedup,
            efficiency=r.efficiency,
            calibrated_min_decrements_per_second=r.calibrated_min_decrements_per_second,
            calibrated_max_decrements_per_second=r.calibrated_max_decrements_per_second,
            decrements_per_second=r.decrements_per_second,
            counting_fraction=r.counting_fraction,
            calibrated_decrements_per_second=r.calibrated_decrements_per_second,
            vs_calibration=r.vs_calibration, mode=r.mode, axis=r.axis, placement=r.placement,
            hosts=r.hosts, n=r.n)
        if r.karp_flatt is not None:
            point.karp_flatt = r.karp_flatt
    return study
