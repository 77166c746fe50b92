"""Exceptions: every failed call carries the gRPC code and the coordinator's
message (which names the field and the limit for bad input)."""
import grpc


class TminusError(Exception):
    """A call the coordinator refused or could not answer."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message

    @classmethod
    def from_rpc(cls, error: grpc.RpcError) -> "TminusError":
        return cls(error.code(), error.details() or "")


class JobFailedError(TminusError):
    """job.wait() on a job that failed or was cancelled; .report says why."""

    def __init__(self, report):
        super().__init__(grpc.StatusCode.ABORTED,
                         f"job {report.job_id} {report.state}: {report.error}")
        self.report = report
