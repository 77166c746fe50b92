"""The tminus client's build backend (PEP 517), standard library only.

pip imports it from this folder (pyproject.toml: backend-path) and calls
build_wheel(), so an install needs no setuptools, no wheel package and no
package index, and writes nothing into the source tree: the wheel is put
together in a temporary folder. The gRPC stubs are generated into it from the
repository's proto/ with protoc and Debian's grpc_python_plugin, so the
package carries no copy of the protos that could drift from the coordinator's.
"""
import atexit
import base64
import hashlib
import importlib.util
import pathlib
import re
import shutil
import site
import subprocess
import sys
import tempfile
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
PROTO_ROOT = HERE.parent / "proto"
PROTOS = ["tminus/v1/common.proto", "tminus/v1/jobs.proto"]
NAME = "tminus"
REQUIRES = ["grpcio>=1.51", "protobuf>=3.21"]
HOW_TO_GET_GRPC = ("tminus needs grpcio and protobuf; the install command takes Debian's: "
                   "apt-get install python3-grpcio python3-protobuf, then make the venv "
                   "with them: /usr/bin/python3 -m venv --system-site-packages VENV")

# Importing this file wrote its bytecode next to it: leave the tree as it was.
atexit.register(shutil.rmtree, HERE / "__pycache__", True)


def _version() -> str:
    text = (HERE / NAME / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def _check_runtime_dependencies() -> None:
    """With --no-build-isolation the build sees the interpreter's packages:
    a missing grpcio fails here, saying how to get it, rather than as pip's
    "No matching distribution". An isolated build cannot tell, and pip
    resolves the requirements as usual."""
    isolated = not any(path in sys.path for path in site.getsitepackages())
    missing = [m for m in ("grpc", "google.protobuf") if not _importable(m)]
    if missing and not isolated:
        raise SystemExit(f"error: no {' or '.join(missing)} in {sys.executable}. "
                         + HOW_TO_GET_GRPC)


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is missing
        return False


def _generate_stubs(out: pathlib.Path) -> None:
    plugin = shutil.which("grpc_python_plugin") or "/usr/bin/grpc_python_plugin"
    if not shutil.which("protoc") or not pathlib.Path(plugin).exists():
        raise SystemExit("error: building the tminus client needs protoc and grpc_python_plugin "
                         "(Debian: apt-get install protobuf-compiler protobuf-compiler-grpc)")
    subprocess.run(["protoc", f"-I{PROTO_ROOT}", f"--python_out={out}", f"--pyi_out={out}",
                    f"--grpc_python_out={out}", f"--plugin=protoc-gen-grpc_python={plugin}",
                    *PROTOS], check=True, cwd=PROTO_ROOT)
    (out / NAME / "v1" / "__init__.py").touch()


def _metadata(version: str) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {NAME}", f"Version: {version}",
             "Summary: Python client for tminus, the countdown job scheduler",
             "Requires-Python: >=3.9", *[f"Requires-Dist: {r}" for r in REQUIRES]]
    return "\n".join(lines) + "\n"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None) -> str:
    _check_runtime_dependencies()
    version = _version()
    dist_info = f"{NAME}-{version}.dist-info"
    wheel_name = f"{NAME}-{version}-py3-none-any.whl"
    with tempfile.TemporaryDirectory(prefix="tminus-wheel-") as staging:
        root = pathlib.Path(staging)
        shutil.copytree(HERE / NAME, root / NAME,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "v1"))
        _generate_stubs(root)
        files = {str(p.relative_to(root)): p.read_bytes()
                 for p in sorted(root.rglob("*")) if p.is_file()}
        files[f"{dist_info}/METADATA"] = _metadata(version).encode()
        files[f"{dist_info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: {NAME} build_backend.py\n"
                                       "Root-Is-Purelib: true\nTag: py3-none-any\n").encode()
        record = [_record_line(name, data) for name, data in files.items()]
        record.append(f"{dist_info}/RECORD,,")
        files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
        with zipfile.ZipFile(pathlib.Path(wheel_directory) / wheel_name, "w",
                             zipfile.ZIP_DEFLATED) as wheel:
            for name, data in files.items():
                wheel.writestr(name, data)
    return wheel_name
