#!/usr/bin/env python3
"""systemd readiness (Type=notify), without systemd: a datagram socket as
NOTIFY_SOCKET, as systemd gives one. The coordinator must say READY=1 once it
listens, the worker once it is connected (not before: it is started while no
coordinator runs), and both STOPPING=1 on SIGTERM.
    sd_notify_test.py BIN_DIR"""
import os
import socket
import subprocess
import sys
import tempfile

BIN = sys.argv[1]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tminus-notify-") as d:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(os.path.join(d, "notify"))
        sock.settimeout(0.5)
        env = {**os.environ, "NOTIFY_SOCKET": os.path.join(d, "notify")}
        started = []

        def start(*argv):
            started.append(subprocess.Popen([os.path.join(BIN, argv[0]), *argv[1:]], env=env,
                                            stderr=subprocess.DEVNULL))

        def message(timeout=15.0):
            sock.settimeout(timeout)
            return sock.recv(4096).decode()

        try:
            # A worker whose coordinator is not up yet: no READY.
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            start("tminus-worker", "--coordinator", f"127.0.0.1:{port}", "--slots", "1",
                  "--name", "notify-worker")
            try:
                early = message(timeout=1.5)
                raise AssertionError(f"worker notified before it was connected: {early!r}")
            except socket.timeout:
                pass
            start("tminus-coordinator", "--listen", f"127.0.0.1:{port}", "--http-listen", "",
                  "--state-dir", "")
            got = sorted([message(), message()])
            assert got[0].startswith("READY=1\nSTATUS=connected to"), got
            assert got[1] == f"READY=1\nSTATUS=serving on 127.0.0.1:{port}", got
            for process in started:
                process.terminate()
                assert message().startswith("STOPPING=1"), "no STOPPING=1"
                assert process.wait(timeout=30) == 0
        finally:
            for process in started:
                if process.poll() is None:
                    process.kill()
                    process.wait()
    print("sd_notify: READY after listening / connecting, STOPPING on SIGTERM")
    return 0


if __name__ == "__main__":
    sys.exit(main())
