"""tminus: submit countdown jobs to a tminus cluster, follow them, and see how
they scaled. A small typed client over the coordinator's gRPC API::

    import tminus
    client = tminus.Client("127.0.0.1:7070")
    job = client.submit(4e9, chunks=64)
    report = job.wait(progress=True)
    print(report.speedup, report.efficiency)
"""
try:
    import grpc  # noqa: F401
    import google.protobuf  # noqa: F401
except ImportError as missing:
    raise ImportError(f"tminus needs grpcio and protobuf ({missing}). On Debian: apt-get install "
                      "python3-grpcio python3-protobuf, in a venv made with /usr/bin/python3 -m "
                      "venv --system-site-packages") from missing

from tminus.client import TLS, Client, Job  # noqa: E402
from tminus.counts import default_chunk_count, parse_count  # noqa: E402
from tminus.errors import JobFailedError, TminusError  # noqa: E402
from tminus.records import (Calibration, ChunkDurations, JobStatus, Report,  # noqa: E402
                            ScaleRow, SlotReport, Topology, Worker, WorkerReport)

__all__ = ["Client", "Job", "TLS", "TminusError", "JobFailedError", "JobStatus", "Report",
           "ScaleRow", "Worker", "WorkerReport", "SlotReport", "ChunkDurations", "Calibration",
           "Topology", "parse_count", "default_chunk_count"]
__version__ = "0.3.0"
