"""The client: Client (one coordinator), Job (one submitted job)."""
import inspect
import math
import os
import shlex
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Iterable, List, Optional, Sequence, Tuple, Union

import grpc

from tminus import kernel_check
from tminus.errors import JobFailedError, TminusError
from tminus.records import JobStatus, Report, ScaleRow, Worker
from tminus.v1 import common_pb2, jobs_pb2, jobs_pb2_grpc

DEFAULT_PORT = 7070
_EXECUTORS = {"threads": common_pb2.EXECUTOR_THREADS, "processes": common_pb2.EXECUTOR_PROCESSES}
_STATES = {"queued": jobs_pb2.JOB_STATE_QUEUED, "running": jobs_pb2.JOB_STATE_RUNNING,
           "succeeded": jobs_pb2.JOB_STATE_SUCCEEDED, "failed": jobs_pb2.JOB_STATE_FAILED,
           "cancelled": jobs_pb2.JOB_STATE_CANCELLED}


_MAX_SOURCE_BYTES = 256 * 1024


def _python_kernel(python) -> common_pb2.Kernel:
    """A (path, function name) pair, or a top-level function whose module
    source can be read: the whole file travels, and the worker calls the
    function as f(start, count)."""
    if callable(python):
        if python.__qualname__ != python.__name__:
            raise ValueError(f"python: {python.__qualname__} is not a top-level function")
        path = inspect.getsourcefile(python)
        if path is None:
            raise ValueError(f"python: cannot find the source of {python.__name__}")
        python = (path, python.__name__)
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


def _command_kernel(command) -> common_pb2.Kernel:
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


def _count(value: Union[int, float], name: str) -> int:
    """4e9 -> 4000000000; a fraction, a negative number, inf, nan or a number
    past 2**63 - 1 (what the wire holds) is a ValueError."""
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
    def submit(self, n: Union[int, float], chunks: Optional[int] = None,
               chunk_size: Optional[int] = None, executor: Optional[str] = None,
               priority: int = 0, name: str = "", max_slots: int = 0, max_attempts: int = 0,
               time_limit: Optional[float] = None,
               python: Union[None, Tuple[str, str], Callable] = None,
               command: Union[None, str, Sequence[str]] = None) -> "Job":
        """Submits a job of n units split into `chunks` chunks (or chunks of
        `chunk_size`); exactly one of the two. `time_limit` is in seconds.

        The work is the countdown (n decrements) unless `python` names a
        function f(start, count) -> count, as (path, name) or as a top-level
        function, or `command` a program run once per chunk with {start},
        {count}, {chunk}, {job} and {attempt} replaced (docs/kernels.md).
        `executor` defaults to threads, or processes for a command."""
        if (chunks is None) == (chunk_size is None):
            raise ValueError("give exactly one of chunks and chunk_size")
        if python is not None and command is not None:
            raise ValueError("give at most one of python and command")
        if executor is None:
            executor = "processes" if command is not None else "threads"
        if executor not in _EXECUTORS:
            raise ValueError(f"executor: must be threads or processes, got {executor!r}")
        spec = common_pb2.JobSpec(n=_count(n, "n"), executor=_EXECUTORS[executor],
                                priority=_whole(priority, "priority", -_INT32_MAX - 1, _INT32_MAX),
                                name=name, max_slots=_whole(max_slots, "max_slots", 0, _INT32_MAX),
                                max_attempts=_whole(max_attempts, "max_attempts", 0, _INT32_MAX),
                                time_limit_ms=_time_limit_ms(time_limit))
        if chunks is not None:
            spec.chunk_count = _count(chunks, "chunks")
        else:
            spec.chunk_size = _count(chunk_size, "chunk_size")
        if python is not None:
            spec.kernel.CopyFrom(_python_kernel(python))
        elif command is not None:
            spec.kernel.CopyFrom(_command_kernel(command))
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

    def jobs(self, states: Iterable[str] = (), limit: int = 1000) -> List[JobStatus]:
        """Jobs, newest first: at most `limit`, in any of `states`."""
        limit = _whole(limit, "limit", 0, _INT64_MAX)
        unknown = [s for s in states if s not in _STATES]
        if unknown:
            raise ValueError(f"states: {unknown!r} are not among {sorted(_STATES)}")
        wanted = [_STATES[s] for s in states]
        found: List[JobStatus] = []
        token = ""
        while len(found) < limit:
            page = self._call("ListJobs", jobs_pb2.ListJobsRequest(
                page_size=min(1000, limit - len(found)), page_token=token, states=wanted))
            found.extend(JobStatus.from_proto(j) for j in page.jobs)
            token = page.next_page_token
            if not token:
                break
        return found

    def workers(self) -> List[Worker]:
        return [Worker.from_proto(w)
                for w in self._call("ListWorkers", jobs_pb2.ListWorkersRequest()).workers]

    # ---- the scaling study ----
    def scale(self, n: Union[int, float], slots: Sequence[int] = (1, 2), executor: str = "threads",
              repeat: int = 3, chunks: Optional[int] = None) -> List[ScaleRow]:
        """The strong-scaling study of `tminus scale`: the same job at each
        slot count (max_slots), `repeat` runs each, the median wall; speedup,
        efficiency and Karp-Flatt against the first point. Every run must
        finish exactly (decrements == n), or JobFailedError."""
        if not slots or list(slots) != sorted(set(slots)) or slots[0] < 1:
            raise ValueError(f"slots: must be increasing counts from 1, got {list(slots)!r}")
        if repeat < 1:
            raise ValueError(f"repeat: must be at least 1, got {repeat}")
        # As the CLI does: a point past the cluster's slots would divide by
        # slots it could not get.
        connected = sum(w.slots for w in self.workers() if w.state == "connected"
                        and executor in w.executors)
        if slots[-1] > connected:
            raise ValueError(f"slots: {slots[-1]} is more than the {connected} connected "
                             f"{executor} slots of the cluster")
        chunks = chunks if chunks is not None else max(4 * slots[-1], 1)
        walls, counting, job_ids = {}, {}, {}
        for s in slots:
            for _ in range(repeat):
                job = self.submit(n, chunks=chunks, executor=executor, max_slots=s,
                                  name=f"scale-py-{executor}-{s}")
                report = job.wait()
                walls.setdefault(s, []).append(report.wall_seconds)
                counting.setdefault(s, []).append(report.counting_fraction)
                job_ids.setdefault(s, []).append(job.id)
        return _summarise(walls, counting, job_ids, _count(n, "n"), executor)


def _summarise(walls, counting, job_ids, n: int, executor: str) -> List[ScaleRow]:
    first = min(walls)
    base = statistics.median(walls[first])
    rows = []
    for s in sorted(walls):
        median = statistics.median(walls[s])
        p = s / first
        speedup = base / median
        karp_flatt = (1 / speedup - 1 / p) / (1 - 1 / p) if p > 1 and speedup > 0 else None
        rows.append(ScaleRow(executor, s, len(walls[s]), n, median, min(walls[s]), max(walls[s]),
                             speedup, speedup / p, karp_flatt, n / median,
                             statistics.median(counting[s]), job_ids[s]))
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

    def wait(self, timeout: Optional[float] = None, progress: bool = False) -> Report:
        """Blocks until the job ends and returns its report. TimeoutError
        after `timeout` seconds (the job goes on); JobFailedError when it
        failed or was cancelled. progress=True shows a bar (tqdm when it is
        installed, plain lines otherwise)."""
        bar = _Progress(self.id) if progress else None
        deadline = None if timeout is None else time.monotonic() + timeout
        request = jobs_pb2.WatchJobRequest(job_id=self.id, interval_ms=200 if progress else 1000)
        try:
            for snapshot in self._client._stream("WatchJob", request, timeout):
                if bar:
                    bar.update(snapshot.job)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED and deadline is not None:
                raise TimeoutError(f"job {self.id} still runs after {timeout} s") from None
            raise TminusError.from_rpc(error) from None
        finally:
            if bar:
                bar.close()
        report = self.report()
        if report.state != "succeeded":
            raise JobFailedError(report)
        return report


class _Progress:
    """tqdm when installed, else a line per update on stderr."""

    def __init__(self, job_id: int):
        self._job_id = job_id
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
