"""The client: Client (one coordinator), Job (one submitted job)."""
import inspect
import logging
import math
import os
import shlex
import sys
import time
import uuid
import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import grpc

from tminus import kernel_check
from tminus import scale as study
from tminus.counts import parse_count, pick_default_chunks
from tminus.errors import JobFailedError, TminusError
from tminus.records import JobStatus, Report, ScaleRow, Worker
from tminus.v1 import common_pb2, jobs_pb2, jobs_pb2_grpc

DEFAULT_PORT = 7070
# cli/follow.cc: how long a follower keeps re-attaching to its job while the
# coordinator is away (a restart keeps every job it accepted), and how often.
REATTACH_FOR_S = 120.0
REATTACH_EVERY_S = 0.5
_TRANSIENT = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
_log = logging.getLogger("tminus")
Count = Union[int, float, str]  # 4000000000, 4e9, "4e9", "4G", "1_000_000"
_EXECUTORS = {"threads": common_pb2.EXECUTOR_THREADS, "processes": common_pb2.EXECUTOR_PROCESSES}
_STATES = {"queued": jobs_pb2.JOB_STATE_QUEUED, "running": jobs_pb2.JOB_STATE_RUNNING,
           "succeeded": jobs_pb2.JOB_STATE_SUCCEEDED, "failed": jobs_pb2.JOB_STATE_FAILED,
           "cancelled": jobs_pb2.JOB_STATE_CANCELLED}


_MAX_SOURCE_BYTES = 256 * 1024


PythonKernel = Union[Tuple[str, str], Callable[..., Any]]
CommandKernel = Union[str, Sequence[str]]


def _python_kernel(python: PythonKernel) -> common_pb2.Kernel:
    """A (path, function name) pair, or a top-level function whose module
    source can be read: the whole file travels, and the worker calls the
    function as f(start, count)."""
    if callable(python):
        if python.__qualname__ != python.__name__:
            raise ValueError(f"python: {python.__qualname__} is not a top-level function")
        source_file = inspect.getsourcefile(python)
        if source_file is None:
            raise ValueError(f"python: cannot find the source of {python.__name__}")
        python = (source_file, python.__name__)
    path, function = python
    with open(path, "rb") as f:
        source = f.read()
    if len(source) > _MAX_SOURCE_BYTES:
        raise ValueError(f"python: {path} is {len(source)} bytes; a job's source is at most 256 KiB")
    text = source.decode("utf-8")
    found = kernel_check.problem(text, path, function)  # a SyntaxError here, not on every worker
    if found:
        raise ValueError(f"python: {found}")
    return common_pb2.Kernel(python=common_pb2.PythonKernel(
        source=text, function=function, file_name=os.path.basename(path)))


def _command_kernel(command: CommandKernel) -> common_pb2.Kernel:
    """A command line (split like a shell would, none run) or an argv list."""
    argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    if not argv:
        raise ValueError("command: the command is empty")
    return common_pb2.Kernel(command=common_pb2.CommandKernel(argv=argv))


@dataclass(frozen=True)
class TLS:
    """PEM files: the CA of the coordinator's certificate, and for mutual TLS
    a client certificate and its key."""
    ca: str
    cert: Optional[str] = None
    key: Optional[str] = None


def _read(path: Optional[str]) -> Optional[bytes]:
    if path is None:
        return None
    with open(path, "rb") as f:
        return f.read()


def _target(address: str) -> str:
    """"HOST" -> "HOST:7070", as the CLI reads --coordinator."""
    if address.startswith("["):
        return address if "]:" in address else f"{address}:{DEFAULT_PORT}"
    return address if ":" in address else f"{address}:{DEFAULT_PORT}"


_INT64_MAX = 2**63 - 1
_INT32_MAX = 2**31 - 1


def _whole(value, name: str, low: int, high: int) -> int:
    """A whole number from low to high, else a ValueError naming the argument
    (never a bare OverflowError or protobuf's "Value out of range")."""
    finite = isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    if isinstance(value, bool) or not finite or int(value) != value or not low <= value <= high:
        raise ValueError(f"{name}: must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


def _count(value: Count, name: str) -> int:
    """4e9 -> 4000000000, and strings as the CLI reads them ("40G", "4.5e9":
    counts.parse_count); a fraction, a negative number, inf, nan or a number
    past 2**63 - 1 (what the wire holds) is a ValueError."""
    if isinstance(value, str):
        value = parse_count(value, name)
    return _whole(value, name, 0, _INT64_MAX)


def _time_limit_ms(seconds: Optional[float]) -> int:
    """None: no limit; else at least 1 ms (a tiny limit is not "none")."""
    if seconds is None:
        return 0
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or \
            not math.isfinite(seconds) or not 0 < seconds <= _INT64_MAX / 1000:
        raise ValueError(f"time_limit: must be positive seconds, got {seconds!r}")
    return max(1, round(seconds * 1000))


class Client:
    """One coordinator. `token` defaults to the TMINUS_TOKEN variable; `tls`
    is a TLS(...) or the path of the coordinator's CA (PEM)."""

    def __init__(self, address: str = "127.0.0.1:7070", token: Optional[str] = None,
                 tls: Union[None, str, TLS] = None, timeout: float = 10.0):
        self.address = _target(address)
        self._token = token if token is not None else os.environ.get("TMINUS_TOKEN") or None
        self._timeout = timeout
        if tls is None:
            self._channel = grpc.insecure_channel(self.address)
        else:
            tls = TLS(ca=tls) if isinstance(tls, str) else tls
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read(tls.ca), private_key=_read(tls.key),
                certificate_chain=_read(tls.cert))
            self._channel = grpc.secure_channel(self.address, credentials)
        self._stub = jobs_pb2_grpc.JobServiceStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, method: str, request, timeout: Optional[float] = None):
        metadata = [("authorization", f"Bearer {self._token}")] if self._token else None
        try:
            return getattr(self._stub, method)(request, timeout=timeout or self._timeout,
                                               metadata=metadata)
        except grpc.RpcError as error:
            raise TminusError.from_rpc(error) from None

    def _stream(self, method: str, request, timeout: Optional[float]):
        metadata = [("authorization", f"Bearer {self._token}")] if self._token else None
        return getattr(self._stub, method)(request, timeout=timeout, metadata=metadata)

    # ---- jobs ----
    def submit(self, n: Count, chunks: Optional[Count] = None,
               chunk_size: Optional[Count] = None, executor: Optional[str] = None,
               priority: int = 0, name: str = "", max_slots: int = 0, max_attempts: int = 0,
               time_limit: Optional[float] = None,
               python: Optional[PythonKernel] = None,
               command: Optional[CommandKernel] = None,
               on: Optional[Dict[str, str]] = None, workers: Sequence[str] = (),
               max_slots_per_worker: int = 0) -> "Job":
        """Submits a job of n units split into `chunks` chunks (or chunks of
        `chunk_size`); at most one of the two. Neither: the CLI's default
        (cli/default_chunks.cc: chunks of ~100 ms at the cluster's measured
        rate per slot, at least 4 per connected slot). Counts may be strings
        as the CLI reads them ("4e9", "40G"). `time_limit` is in seconds;
        `on` (labels) and `workers` (names) restrict where it runs.

        The work is the countdown (n decrements) unless `python` names a
        function f(start, count) -> count, as (path, name) or as a top-level
        function, or `command` a program run once per chunk with {start},
        {count}, {chunk}, {job} and {attempt} replaced (docs/kernels.md).
        `executor` defaults to threads, or processes for a command."""
        spec = self._spec(n, chunks, chunk_size, executor, python, command)
        spec.priority = _whole(priority, "priority", -_INT32_MAX - 1, _INT32_MAX)
        spec.name = name
        spec.max_slots = _whole(max_slots, "max_slots", 0, _INT32_MAX)
        spec.max_slots_per_worker = _whole(max_slots_per_worker, "max_slots_per_worker", 0,
                                           _INT32_MAX)
        spec.max_attempts = _whole(max_attempts, "max_attempts", 0, _INT32_MAX)
        spec.time_limit_ms = _time_limit_ms(time_limit)
        spec.selector.update(on or {})
        spec.workers.extend(workers)
        if not spec.HasField("chunk_count") and not spec.HasField("chunk_size"):
            spec.chunk_count = pick_default_chunks(spec.n, self._list_workers())
        return self._submit_spec(spec)

    def _spec(self, n: Count, chunks: Optional[Count], chunk_size: Optional[Count],
              executor: Optional[str], python: Optional[PythonKernel],
              command: Optional[CommandKernel]) -> common_pb2.JobSpec:
        """n, chunking, executor and kernel, checked as the CLI checks them."""
        if chunks is not None and chunk_size is not None:
            raise ValueError("give at most one of chunks and chunk_size")
        if python is not None and command is not None:
            raise ValueError("give at most one of python and command")
        if (python is not None or command is not None) and chunks is None and chunk_size is None:
            raise ValueError("chunks or chunk_size: required with python and command (the "
                             "default chunking sizes chunks at the countdown's rate)")
        if executor is None:
            executor = "processes" if command is not None else "threads"
        if executor not in _EXECUTORS:
            raise ValueError(f"executor: must be threads or processes, got {executor!r}")
        spec = common_pb2.JobSpec(n=_count(n, "n"), executor=_EXECUTORS[executor])
        if chunks is not None:
            spec.chunk_count = _count(chunks, "chunks")
        elif chunk_size is not None:
            spec.chunk_size = _count(chunk_size, "chunk_size")
        if python is not None:
            spec.kernel.CopyFrom(_python_kernel(python))
        elif command is not None:
            spec.kernel.CopyFrom(_command_kernel(command))
        return spec

    def _submit_spec(self, spec: common_pb2.JobSpec) -> "Job":
        request = jobs_pb2.SubmitJobRequest(request_id=f"py-{uuid.uuid4()}", spec=spec)
        job = self._call("SubmitJob", request).job
        if spec.HasField("kernel") and not job.spec.HasField("kernel"):
            # A coordinator from before kernels dropped the field: it would count down.
            self._call("CancelJob", jobs_pb2.CancelJobRequest(job_id=job.id))
            raise TminusError(grpc.StatusCode.FAILED_PRECONDITION,
                              "the coordinator does not know python/command kernels (too old): "
                              f"job {job.id} would have run the countdown, so it was cancelled")
        return Job(self, job.id)

    def job(self, job_id: int) -> "Job":
        """A handle on a job submitted earlier (by anyone)."""
        return Job(self, job_id)

    def jobs(self, states: Iterable[str] = (), limit: int = 1000,
             all: bool = False) -> List[JobStatus]:
        """Jobs, newest first: at most `limit`, in any of `states`; the jobs a
        scaling study ran (labelled tminus.io/study) only with `all`, as
        `tminus list --all`."""
        limit = _whole(limit, "limit", 0, _INT64_MAX)
        unknown = [s for s in states if s not in _STATES]
        if unknown:
            raise ValueError(f"states: {unknown!r} are not among {sorted(_STATES)}")
        wanted = [_STATES[s] for s in states]
        found: List[JobStatus] = []
        token = ""
        while len(found) < limit:
            page = self._call("ListJobs", jobs_pb2.ListJobsRequest(
                page_size=min(1000, limit - len(found)), page_token=token, states=wanted,
                hide_study_jobs=not all))
            found.extend(JobStatus.from_proto(j) for j in page.jobs)
            token = page.next_page_token
            if not token:
                break
        return found

    def workers(self) -> List[Worker]:
        return [Worker.from_proto(w) for w in self._list_workers()]

    def _list_workers(self) -> List[jobs_pb2.WorkerInfo]:
        return list(self._call("ListWorkers", jobs_pb2.ListWorkersRequest()).workers)

    # ---- the scaling study ----
    def scale(self, n: Count, slots: Optional[Sequence[int]] = None,
              executor: str = "threads", repeat: int = 3, chunks: Optional[Count] = None,
              chunk_size: Optional[Count] = None, hosts: Sequence[int] = (),
              placement: Union[str, Sequence[str]] = "any", weak: bool = False,
              calibrate: bool = True, on: Optional[Dict[str, str]] = None,
              workers: Sequence[str] = (),
              python: Optional[PythonKernel] = None,
              command: Optional[CommandKernel] = None, name: str = "",
              record: bool = True,
              progress: Optional[Callable[[str], None]] = None) -> List[ScaleRow]:
        """The study of `tminus scale` (cli/scale.cc), with its flags, defaults
        and order: for each executor ("both": threads, then processes), the
        strong series (and, with weak=True, the weak one, n per slot) on the
        slot axis for each placement (any, packed, spread), then on the host
        axis when `hosts` is given (alone, it replaces the slot axis). Slots
        default to 1, 2, 4, ... up to the connected total and the physical
        cores, with 1 always first; chunks to the CLI's default chunking.
        Each run is a job (one at a time) between two bare-kernel
        calibrations (calibrate=False skips them; kernels have none); the
        repeats go round the whole study. Every run must finish exactly, or
        JobFailedError. record=True keeps the study at the coordinator (the
        dashboard's Studies), as the CLI does. Returns one row per point."""
        executors = {"both": ["threads", "processes"]}.get(executor, [executor])
        if any(e not in _EXECUTORS for e in executors):
            raise ValueError(f"executor: must be threads, processes or both, got {executor!r}")
        if command is not None and executor != "processes":
            raise ValueError("executor: a command study runs on processes only")
        spec = self._spec(n, chunks, chunk_size, executors[0], python, command)
        if spec.n < 1:
            raise ValueError(f"n: must be at least 1, got {spec.n}")
        placements = [placement] if isinstance(placement, str) else list(placement)
        if not placements or any(p not in study.PLACEMENTS for p in placements) or \
                len(set(placements)) != len(placements):
            raise ValueError(f"placement: must be any, packed or spread (each once), "
                             f"got {placement!r}")
        if not 1 <= repeat <= 100:
            raise ValueError("repeat: must be between 1 and 100")
        for label, counts, most in (("slots", slots or [], 1_000_000), ("hosts", hosts, 100_000)):
            if any(isinstance(c, bool) or not isinstance(c, int) or not 1 <= c <= most
                   for c in counts) or len(set(counts)) != len(counts):
                raise ValueError(f"{label}: must be counts from 1 to {most}, each once, "
                                 f"got {list(counts)!r}")
        infos = self._list_workers()
        cluster = study.cluster_of(infos, on or {}, list(workers))
        restricted = bool(on or workers)
        total = sum(h.slots for h in cluster)
        cores = sum(h.physical_cores for h in cluster) \
            if all(h.physical_cores > 0 for h in cluster) else 0
        points = sorted(slots) if slots else study.default_slot_list(total, cores)
        if points[0] != 1:
            points.insert(0, 1)  # the baseline
        # scale.cc, CheckSizes: a point cannot divide by slots it could not get.
        if points[-1] > total:
            raise ValueError(f"slots: {points[-1]} is more than the {total} slots of the "
                             f"{sum(len(h.workers) for h in cluster)} worker(s) the study uses")
        if hosts and max(hosts) > len(cluster):
            raise ValueError(f"hosts: {max(hosts)} hosts asked for; the workers the study uses "
                             f"are on {len(cluster)}")
        most = max(points[-1], total)
        if weak and (spec.n > _INT64_MAX // most or
                     (spec.HasField("chunk_count") and spec.chunk_count > 1_000_000_000 // most)):
            raise ValueError(f"weak: n or chunks times {most} slots is past the job limits")
        if not spec.HasField("chunk_count") and not spec.HasField("chunk_size"):
            spec.chunk_count = pick_default_chunks(spec.n, infos)
        chunk_count = spec.chunk_count if spec.HasField("chunk_count") else None
        base_chunks = chunk_count or -(-spec.n // spec.chunk_size)
        # scale.cc, PlanSeries: executor, then mode, then the slot axis by
        # placement, then the host axis.
        all_series: List[List[study._Point]] = []
        for e in executors:
            for mode in ["strong", "weak"] if weak else ["strong"]:
                if not hosts or slots:
                    for pl in placements:
                        all_series.append([study._Point(
                            _EXECUTORS[e], mode, "slots", pl, s,
                            study.plan_slots(cluster, s, pl, restricted)) for s in points])
                if hosts:
                    all_series.append([study._Point(
                        _EXECUTORS[e], mode, "hosts", "packed", plan.slots, plan)
                        for plan in (study.plan_hosts(cluster, h) for h in sorted(hosts))])
        study.Study(self, spec, chunk_count, repeat, calibrate and python is None and
                    command is None, progress or (lambda line: None)).run(all_series)
        rows = [row for series in all_series for row in study.summarise(series, base_chunks)]
        first = rows[0]
        bare = first.calibrated_decrements_per_second if first.slots == 1 else 0.0
        rows = [dataclasses.replace(r, bare_rate_per_thread=bare) for r in rows]
        if record:
            try:
                self._call("RecordStudy", jobs_pb2.RecordStudyRequest(study=study.study_proto(
                    rows, spec.n, base_chunks, repeat, name, cluster)))
            except TminusError as error:  # as the CLI: the study stands without it
                _log.warning("the coordinator did not keep the study: %s", error)
        return rows


class Job:
    """A submitted job, like ray.ObjectRef / a Dask future / IPyparallel's
    AsyncResult: status(), cancel(), wait()."""

    def __init__(self, client: Client, job_id: int):
        self._client = client
        self.id = job_id

    def __repr__(self) -> str:
        return f"Job({self.id})"

    def status(self) -> JobStatus:
        return JobStatus.from_proto(
            self._client._call("GetJob", jobs_pb2.GetJobRequest(job_id=self.id)).job)

    def cancel(self) -> JobStatus:
        """Cancels the job (a finished job stays as it is)."""
        return JobStatus.from_proto(
            self._client._call("CancelJob", jobs_pb2.CancelJobRequest(job_id=self.id)).job)

    def report(self) -> Report:
        return Report.from_proto(self._client._call(
            "GetJobReport", jobs_pb2.GetJobReportRequest(job_id=self.id)).report)

    def wait(self, timeout: Optional[float] = None, progress: bool = False,
             reattach_for: float = REATTACH_FOR_S, _raise: bool = True) -> Report:
        """Blocks until the job ends and returns its report. TimeoutError
        after `timeout` seconds (the job goes on); JobFailedError when it
        failed or was cancelled. progress=True shows a bar (tqdm when it is
        installed, plain lines otherwise). As `tminus watch` (cli/follow.cc),
        it re-attaches while the coordinator is away (UNAVAILABLE, or a call
        past its deadline): every 0.5 s for up to `reattach_for` seconds."""
        bar = _Progress(self.id) if progress else None
        deadline = None if timeout is None else time.monotonic() + timeout
        request = jobs_pb2.WatchJobRequest(job_id=self.id, interval_ms=200 if progress else 1000)

        def watch() -> None:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                for snapshot in self._client._stream("WatchJob", request, left):
                    if bar:
                        bar.update(snapshot.job)
            except grpc.RpcError as error:
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"job {self.id} still runs after {timeout} s") from None
                raise TminusError.from_rpc(error) from None

        try:
            self._reattaching(watch, reattach_for, deadline)
        finally:
            if bar:
                bar.close()
        report = self._reattaching(self.report, reattach_for, deadline)
        if _raise and report.state != "succeeded":
            raise JobFailedError(report)
        return report

    def _reattaching(self, call: Callable[[], Any], reattach_for: float,
                     deadline: Optional[float]) -> Any:
        """cli/follow.cc, Reattaching: runs `call` until it succeeds, fails
        for good, or the coordinator has been away `reattach_for` seconds;
        says once (logging, "tminus") that it is re-attaching."""
        give_up = time.monotonic() + reattach_for
        told = False
        while True:
            try:
                return call()
            except TminusError as error:
                if error.code not in _TRANSIENT or time.monotonic() > give_up:
                    raise
                if deadline is not None and time.monotonic() + REATTACH_EVERY_S >= deadline:
                    raise TimeoutError(f"job {self.id}: the coordinator is away ({error.message})"
                                       " and the timeout has passed") from None
                if not told:
                    _log.warning("lost the coordinator (%s); re-attaching to job %d (the job "
                                 "goes on)", error.message, self.id)
                    told = True
                time.sleep(REATTACH_EVERY_S)


class _Progress:
    """tqdm when installed, else a line per update on stderr."""

    def __init__(self, job_id: int):
        self._job_id = job_id
        self._bar: Any
        try:
            from tqdm import tqdm
            self._bar = tqdm(total=100, desc=f"job {job_id}", unit="%", file=sys.stderr)
        except ImportError:
            self._bar = None
        self._shown = 0.0

    def update(self, job) -> None:
        done = 100.0 * job.decrements_done / job.spec.n if job.spec.n else 100.0
        if self._bar is not None:
            self._bar.update(done - self._shown)
        else:
            print(f"job {self._job_id}: {done:5.1f}% ({job.chunks_done}/{job.chunk_total} "
                  f"chunks)", file=sys.stderr, flush=True)
        self._shown = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
