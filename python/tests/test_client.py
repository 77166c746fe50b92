"""The Python client against a real coordinator and workers."""
import os
import pathlib
import subprocess
import sys

import grpc
import pytest

import tminus
from conftest import Cluster


def assert_exact(report):
    """Every finished job proves its own correctness."""
    assert report.state == "succeeded"
    assert report.exact and report.decrements == report.n
    assert report.chunks_done == report.chunk_total
    assert sum(w.decrements for w in report.workers) == report.n


def test_submit_and_wait_is_exact(client):
    job = client.submit(200_000_007, chunks=20)
    report = job.wait(timeout=60)
    assert_exact(report)
    assert isinstance(report.wall_seconds, float) and report.wall_seconds > 0
    # A fresh worker may not have calibrated yet: then no speedup, and why.
    assert report.speedup is None or report.speedup > 0
    assert report.speedup is not None or report.speedup_reference.startswith("none")
    assert report.parallelism > 0 and 0 < report.occupancy <= 1.05 and report.cpu_share > 0
    status = job.status()
    assert status.state == "succeeded" and status.chunks_done == 20
    assert any(j.job_id == job.id for j in client.jobs(states=["succeeded"]))


def test_wait_with_progress_shows_it(client, capfd):
    report = client.submit(1e8, chunk_size=10_000_000, executor="processes").wait(progress=True)
    assert_exact(report)
    assert "job" in capfd.readouterr().err


def test_cancel_makes_wait_raise_with_the_report(client):
    job = client.submit(1e15, chunks=8)
    assert job.cancel().state == "cancelled"
    with pytest.raises(tminus.JobFailedError) as failed:
        job.wait(timeout=30)
    assert failed.value.report.state == "cancelled"
    assert "cancelled by request" in failed.value.report.error


def test_wait_times_out_and_the_job_goes_on(client):
    job = client.submit(1e15, chunks=8)
    with pytest.raises(TimeoutError):
        job.wait(timeout=0.3)
    assert job.status().state == "running"
    job.cancel()


def test_bad_input_raises_naming_the_field(client):
    with pytest.raises(tminus.TminusError) as error:
        client.submit(100, chunks=101)
    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.value.message.startswith("chunk_count: must be between 1 and n")
    with pytest.raises(tminus.TminusError) as error:
        client.submit(100, chunks=1, priority=5000)
    assert "priority" in error.value.message
    with pytest.raises(ValueError, match="at most one of chunks and chunk_size"):
        client.submit(100, chunks=1, chunk_size=1)
    with pytest.raises(tminus.TminusError) as error:
        client.job(987654).status()
    assert error.value.code == grpc.StatusCode.NOT_FOUND


def test_numbers_out_of_range_raise_value_error_naming_the_argument(client):
    for n in (float("inf"), float("nan"), 2**63, -1, 1.5):
        with pytest.raises(ValueError, match="^n: must be a whole number"):
            client.submit(n, chunks=1)
    with pytest.raises(ValueError, match="^chunks: "):
        client.submit(100, chunks=2**64)
    with pytest.raises(ValueError, match="^priority: "):
        client.submit(100, chunks=1, priority=2**40)
    with pytest.raises(ValueError, match="^time_limit: "):
        client.submit(100, chunks=1, time_limit=float("inf"))
    with pytest.raises(ValueError, match="^limit: "):
        client.jobs(limit=-5)


def test_scale_study_rows_follow_the_definitions(client):
    rows = client.scale(4e8, slots=[1, 2], repeat=1, chunks=8, calibrate=False)
    assert [r.slots for r in rows] == [1, 2]
    one, two = rows
    assert one.speedup == pytest.approx(1.0) and one.karp_flatt is None
    assert two.speedup == pytest.approx(one.wall_median_seconds / two.wall_median_seconds)
    assert two.efficiency == pytest.approx(two.speedup / 2)
    for row in rows:
        for job_id in row.job_ids:
            assert_exact(client.job(job_id).report())


def test_tokens_are_required_and_checked(workdir):
    tokens = workdir / "client.tokens"
    tokens.write_text("py-client-token-0123456789\n")
    workers = workdir / "worker.tokens"
    workers.write_text("py-worker-token-0123456789\n")
    cluster = Cluster(workdir, ["--client-token-file", tokens, "--worker-token-file", workers],
                      worker_env={"TMINUS_TOKEN": "py-worker-token-0123456789"})
    try:
        with tminus.Client(cluster.address) as anonymous:
            with pytest.raises(tminus.TminusError) as error:
                anonymous.workers()
            assert error.value.code == grpc.StatusCode.UNAUTHENTICATED
        with tminus.Client(cluster.address, token="py-client-token-0123456789") as client:
            cluster.wait_for_workers(client, 1)
            assert_exact(client.submit(1e7, chunks=4).wait(timeout=60))
    finally:
        cluster.stop()


def test_tls_needs_the_coordinators_ca(workdir):
    key, cert = workdir / "key.pem", workdir / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    cluster = Cluster(workdir, ["--tls-cert", cert, "--tls-key", key], workers=0)
    try:
        with tminus.Client(cluster.address, tls=str(cert)) as client:
            assert client.workers() == []
        with tminus.Client(cluster.address, timeout=2) as plaintext:
            with pytest.raises(tminus.TminusError) as error:
                plaintext.workers()
            assert error.value.code == grpc.StatusCode.UNAVAILABLE
    finally:
        cluster.stop()


def docs_example() -> str:
    """The code block of docs/python.md's example, exactly as people read it."""
    text = (pathlib.Path(__file__).parents[2] / "docs" / "python.md").read_text()
    section = text.split("## Example: a study, plotted", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_docs_example_runs_and_plots(cluster, workdir):
    example = workdir / "scale_plot.py"
    example.write_text(docs_example())
    out = workdir / "scale.png"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, example, cluster.address, str(out), "2e8"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 1000
    assert "slots" in done.stdout


def test_scale_refuses_more_slots_than_the_cluster_has(client):
    with pytest.raises(ValueError, match="100000 is more than the 4 slots of the 2 worker"):
        client.scale(1e6, slots=[1, 100_000], repeat=1)


EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def test_python_and_command_kernels_are_exact(workdir):
    sys.path.insert(0, str(EXAMPLES))
    try:
        from busy_wait import busy_wait
    finally:
        sys.path.pop(0)
    cluster = Cluster(workdir, workers=1, worker_flags=["--allow-kernels", "python,command",
                                                        "--run-as", "nobody"] if os.geteuid() == 0
                      else ["--allow-kernels", "python,command"])
    try:
        with tminus.Client(cluster.address) as c:
            cluster.wait_for_workers(c, 1)
            for executor in ("threads", "processes"):
                report = c.submit(100_000, chunks=4, executor=executor, python=busy_wait).wait(timeout=60)
                assert_exact(report)
                assert report.speedup is None and "no calibration" in report.speedup_reference
            report = c.submit(1000, chunks=4, python=(str(EXAMPLES / "busy_wait.py"), "busy_wait")).wait(timeout=60)
            assert_exact(report)
            report = c.submit(1000, chunks=4, command=["/bin/sh", "-c", "exit 0", "{start}"]).wait(timeout=60)
            assert_exact(report)
    finally:
        cluster.stop()


def test_bad_kernels_are_refused_before_they_are_sent(client, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def f(start, count)\n    return count\n")
    with pytest.raises(SyntaxError):
        client.submit(100, chunks=1, python=(str(broken), "f"))
    with pytest.raises(ValueError, match="defines no 'g'"):
        client.submit(100, chunks=1, python=(str(EXAMPLES / "busy_wait.py"), "g"))
    with pytest.raises(ValueError, match="at most one of python and command"):
        client.submit(100, chunks=1, python=(str(broken), "f"), command="true")
    with pytest.raises(ValueError, match="command is empty"):
        client.submit(100, chunks=1, command="  ")
    with pytest.raises(tminus.TminusError) as error:
        client.submit(100, chunks=1, command="prog {stop}")
    assert "unknown placeholder {stop}" in error.value.message
