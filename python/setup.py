"""Builds the tminus Python client.

The gRPC stubs are generated at build time from the repository's proto/
folder (protoc with Debian's grpc_python_plugin), so the package carries no
copy of the protos that could drift from the coordinator's.
"""
import pathlib
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
PROTO_ROOT = HERE.parent / "proto"
PROTOS = ["tminus/v1/common.proto", "tminus/v1/jobs.proto"]


class BuildWithStubs(build_py):
    """Runs protoc into the build tree before the usual copy."""

    def run(self):
        super().run()
        out = pathlib.Path(self.build_lib).resolve()
        plugin = shutil.which("grpc_python_plugin") or "/usr/bin/grpc_python_plugin"
        subprocess.run(
            ["protoc", f"-I{PROTO_ROOT}", f"--python_out={out}", f"--grpc_python_out={out}",
             f"--plugin=protoc-gen-grpc_python={plugin}", *PROTOS],
            check=True, cwd=PROTO_ROOT)
        (out / "tminus" / "v1" / "__init__.py").touch()


setup(
    name="tminus",
    version="0.3.0",
    description="Python client for tminus, the countdown job scheduler",
    packages=["tminus"],
    python_requires=">=3.9",
    install_requires=["grpcio>=1.51", "protobuf>=3.21"],
    cmdclass={"build_py": BuildWithStubs},
)
