"""tminus: submit countdown jobs to a tminus cluster, follow them, and see how
they scaled. A small typed client over the coordinator's gRPC API::

    import tminus
    client = tminus.Client("127.0.0.1:7070")
    job = client.submit(4e9, chunks=64)
    report = job.wait(progress=True)
    print(report.speedup, report.efficiency)
"""
from tminus.client import TLS, Client, Job
from tminus.errors import JobFailedError, TminusError
from tminus.records import JobStatus, Report, ScaleRow, Worker, WorkerReport

__all__ = ["Client", "Job", "TLS", "TminusError", "JobFailedError", "JobStatus", "Report",
           "ScaleRow", "Worker", "WorkerReport"]
__version__ = "0.3.0"
