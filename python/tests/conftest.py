"""A real coordinator and real workers (the built binaries) on 127.0.0.1,
started per test module and stopped by pid, also when a test fails."""
import os
import pathlib
import signal
import subprocess
import tempfile
import time

import pytest

BIN = pathlib.Path(os.environ.get("TMINUS_BIN_DIR", pathlib.Path(__file__).parents[2] / "build" / "bin"))


class Cluster:
    def __init__(self, workdir: pathlib.Path, coordinator_flags=(), worker_env=None, workers=1,
                 worker_flags=()):
        self.dir = workdir
        self.processes = []
        self._coordinator_flags = list(coordinator_flags)
        self.port = self._start_coordinator("0")
        self.address = f"127.0.0.1:{self.port}"
        for i in range(workers):
            self._start([BIN / "tminus-worker", "--coordinator", self.address, "--slots", "2",
                         "--name", f"py-worker-{i}", "--exit-with-parent", *worker_flags],
                        f"worker-{i}",
                        worker_env)

    def _start_coordinator(self, port):
        port_file = self.dir / "port"
        port_file.unlink(missing_ok=True)
        self._start([BIN / "tminus-coordinator", "--listen", f"127.0.0.1:{port}", "--port-file",
                     port_file, "--http-listen", "", "--state-dir", self.dir / "state",
                     "--exit-with-parent", *self._coordinator_flags], "coordinator")
        self.coordinator = self.processes[-1]
        deadline = time.monotonic() + 20
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.coordinator.poll() is not None:
                raise RuntimeError((self.dir / "coordinator.log").read_text())
            time.sleep(0.05)
        return port_file.read_text().strip()

    def restart_coordinator(self, down_seconds):
        """Kills the coordinator (SIGKILL, by pid) and starts it again on the
        same port and state after `down_seconds`."""
        self.coordinator.kill()
        self.coordinator.wait()
        time.sleep(down_seconds)
        self._start_coordinator(self.port)

    def _start(self, argv, name, env=None):
        log = open(self.dir / f"{name}.log", "a")
        self.processes.append(subprocess.Popen([str(a) for a in argv], stdout=log,
                                               stderr=subprocess.STDOUT,
                                               env={**os.environ, **(env or {})}))

    def wait_for_workers(self, client, count):
        deadline = time.monotonic() + 20
        while sum(w.state == "connected" for w in client.workers()) < count:
            assert time.monotonic() < deadline, "workers did not connect"
            time.sleep(0.05)

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="tminus-py-") as d:
        yield pathlib.Path(d)


@pytest.fixture(scope="module")
def cluster():
    with tempfile.TemporaryDirectory(prefix="tminus-py-") as d:
        c = Cluster(pathlib.Path(d), workers=2)
        try:
            yield c
        finally:
            c.stop()


@pytest.fixture
def client(cluster):
    import tminus
    with tminus.Client(cluster.address) as c:
        cluster.wait_for_workers(c, 2)
        yield c
