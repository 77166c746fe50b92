"""The Python client does what the CLI does: the same counts, the same
default chunking, the same re-attaching, the same scaling study. Where it
can, a test asks the CLI itself (the built `tminus`) and compares."""
import csv
import importlib.resources
import io
import json
import pathlib
import subprocess
import threading

import pytest

import tminus
from conftest import BIN, Cluster
from test_client import assert_exact


def cli(address, *args):
    return subprocess.run([str(BIN / "tminus"), "--coordinator", address, *args],
                          capture_output=True, text=True, timeout=120)


COUNTS = ["4000000000", "4e9", "4E9", "4.5e9", "40G", "40k", "40K", "4M", "1T", "2P", "9E",
          "1_000_000", "1__0", "+7", "1.", ".5e1", "10e-1", "1e+3", "9223372036854775807",
          "0", "-5", "4e", "4E", "e9", "_1", "1.5", "1e-1", "4x", "4GB", "4m", "4e1000",
          "9223372036854775808", "9.3e18", "1e19", "", "+", "1..2", "0x10", "٣", "4 ", " 4"]


def test_count_strings_parse_as_the_clis_parser(workdir):
    """Each string through `tminus submit --n` (a coordinator with no worker:
    the job only waits) and through submit(): the same n, or both refuse
    with the same words (the CLI names the flag --n, Python the argument n)."""
    cluster = Cluster(workdir, workers=0)
    try:
        with tminus.Client(cluster.address) as client:
            for text in COUNTS:
                done = cli(cluster.address, "submit", "--n", text, "--chunks", "1", "-o", "json")
                try:
                    job = client.submit(text, chunks=1)
                except (ValueError, tminus.TminusError) as error:  # the coordinator refuses 0
                    assert done.returncode == 2, (text, done.stdout)
                    if "is not" in str(error) or "larger" in str(error):
                        assert str(error) in done.stderr.replace("--n:", "n:"), (text, done.stderr)
                    continue
                assert done.returncode == 0, (text, done.stderr)
                assert json.loads(done.stdout)["job"]["spec"]["n"] == str(job.status().n), text
    finally:
        cluster.stop()


def test_default_chunking_is_the_clis(client):
    """No chunking: Python and then the CLI pick by the rule over the
    workers' figures of the moment (a measured rate once there is history)."""
    assert_exact(client.submit(2e8, chunks=8).wait(timeout=60))
    n = 3_000_000_007
    rate, slots = _rate_and_slots(client)
    assert rate > 0 and slots == 4
    job = client.submit(str(n))
    assert job.status().chunk_total == tminus.default_chunk_count(n, rate, slots)
    assert_exact(job.wait(timeout=120))
    rate, slots = _rate_and_slots(client)
    done = cli(client.address, "submit", "--n", str(n), "--wait", "-o", "json")
    assert done.returncode == 0, done.stderr
    assert "chunking:" in done.stderr
    report = json.loads(done.stdout)
    report = report.get("report", report)
    assert int(report["decrements"]) == n
    assert int(report["chunk_total"]) == tminus.default_chunk_count(n, rate, slots)


def _rate_and_slots(client):
    from tminus.counts import connected_slots, measured_rate_per_slot
    infos = client._list_workers()
    return measured_rate_per_slot(infos), connected_slots(infos)


def test_wait_reattaches_after_a_coordinator_restart(workdir):
    cluster = Cluster(workdir, workers=1)
    try:
        with tminus.Client(cluster.address) as client:
            cluster.wait_for_workers(client, 1)
            job = client.submit(6e9, chunks=60)
            result = {}
            waiter = threading.Thread(target=lambda: result.update(
                report=job.wait(timeout=240, reattach_for=60)))
            waiter.start()
            while job.status().chunks_done < 2:
                pass
            cluster.restart_coordinator(down_seconds=2)
            waiter.join(timeout=250)
            assert not waiter.is_alive()
            assert_exact(result["report"])
    finally:
        cluster.stop()


def test_wait_gives_up_after_reattach_for(workdir):
    cluster = Cluster(workdir, workers=0)
    try:
        with tminus.Client(cluster.address, timeout=1) as client:
            job = client.submit(1000, chunks=1)
            cluster.coordinator.kill()
            cluster.coordinator.wait()
            with pytest.raises(tminus.TminusError) as error:
                job.wait(reattach_for=2)
            assert error.value.code.name in ("UNAVAILABLE", "DEADLINE_EXCEEDED")
    finally:
        cluster.stop()


FLAGS = dict(n="3e7", chunks="8", slots=[1, 2], hosts=[1], placement=["any", "spread"],
             weak=True, executor="both")


def test_scale_runs_the_clis_series_in_its_order(client, tmp_path):
    """The same flags through `tminus scale` and scale(): the same points
    (series, mode, axis, placement, slots, n) in the same order."""
    done = cli(client.address, "scale", "--n", FLAGS["n"], "--chunks", FLAGS["chunks"],
               "--slots", "1,2", "--hosts", "1", "--placement", "any,spread", "--weak",
               "--executor", "both", "--repeat", "1", "--no-calibration", "--no-upload",
               "--out", str(tmp_path / "out"), "-o", "csv")
    assert done.returncode == 0, done.stderr
    want = [(r["series"], r["mode"], r["axis"], r["placement"], int(r["slots"]), int(r["n"]))
            for r in csv.DictReader(io.StringIO(done.stdout))]
    rows = client.scale(FLAGS["n"], chunks=FLAGS["chunks"], slots=FLAGS["slots"],
                        hosts=FLAGS["hosts"], placement=FLAGS["placement"], weak=True,
                        executor="both", repeat=1, calibrate=False, record=False)
    assert [(r.series, r.mode, r.axis, r.placement, r.slots, r.n) for r in rows] == want
    assert {r.series for r in rows} >= {"threads", "threads weak", "threads spread",
                                        "threads hosts", "processes weak spread"}
    for row in rows:
        for job_id in row.job_ids:
            assert_exact(client.job(job_id).report())
        if row.mode == "weak" and row.axis == "slots":  # against the series' 1 slot
            assert row.karp_flatt is None
            assert row.speedup == pytest.approx(row.efficiency * row.slots)


def test_scale_calibrates_each_run_and_keeps_the_study(client):
    rows = client.scale(1e8, slots=[1, 2], repeat=1, chunks=4, name="py-parity")
    one, two = rows
    assert one.bare_rate_per_thread == one.calibrated_decrements_per_second > 0
    for row in rows:
        assert row.calibrated_min_decrements_per_second > 0 and row.vs_calibration > 0
        assert row.runs == 1 and len(row.wall_seconds) == 1 and row.chunks == 4
        assert_exact(client.job(row.job_ids[0]).report())
    # The calibration runs are jobs too, and exact: every job of the study is.
    # They are listed only with all=True, as `tminus list --all`.
    calibrations = [s for s in client.jobs(states=["succeeded"], limit=20, all=True)
                    if s.name == "scale-calibration"]
    assert calibrations
    for status in calibrations:
        assert_exact(client.job(status.job_id).report())
    assert not [s for s in client.jobs(limit=1000) if s.name.startswith("scale-")]


def test_records_carry_calibration_topology_and_the_reports_figures(client):
    report = client.submit(2e8, chunks=8).wait(timeout=60)
    assert_exact(report)
    assert report.chunk_durations is not None and report.chunk_durations.count == 8
    assert report.chunk_durations.min_seconds <= report.chunk_durations.max_seconds
    assert sum(s.chunks for w in report.workers for s in w.slot_reports) == 8
    assert report.cpu_parallelism > 0 and report.cpu_seconds > 0
    assert (report.speedup is None) == (report.reference_seconds == 0)
    assert isinstance(report.warnings, list)
    for worker in client.workers():
        assert worker.topology is not None and worker.topology.logical_cpus > 0
        assert worker.version and worker.sessions >= 1
        if worker.calibration is not None:
            assert worker.calibration.decrements_per_second == worker.calibrated_rate > 0


def test_the_installed_package_is_typed_and_not_the_source_tree():
    source = pathlib.Path(__file__).resolve().parents[1] / "tminus"
    installed = pathlib.Path(tminus.__file__).resolve().parent
    assert installed != source
    assert importlib.resources.files("tminus").joinpath("py.typed").is_file()
    assert (installed / "v1" / "jobs_pb2.pyi").is_file()
