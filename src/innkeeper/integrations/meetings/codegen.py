"""Generate the gRPC stubs of ``proto/innkeeper/meetings/v1/meetings.proto`` into this package.

    .venv/bin/python -m innkeeper.integrations.meetings.codegen

The stubs are committed (the server needs no build step); ``tests/integrations/test_meeting_stubs.py``
regenerates them into a temporary directory and fails when the committed ones differ. ``grpcio-tools``
is a development dependency only, hence the import inside :func:`render`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
PROTO_DIR = ROOT / "proto"
PROTO = PROTO_DIR / "innkeeper" / "meetings" / "v1" / "meetings.proto"
#: where protoc's output would import itself from, and where the modules live instead
GENERATED_IMPORT = "from innkeeper.meetings.v1 import meetings_pb2"
PACKAGE_IMPORT = "from innkeeper.integrations.meetings import meetings_pb2"
#: generated text is neither linted nor formatted (``fmt: off`` to the end)
HEADER = "# ruff: noqa\n# fmt: off\n# Generated from proto/innkeeper/meetings/v1/meetings.proto: codegen.py\n"
FILES = ("meetings_pb2.py", "meetings_pb2.pyi", "meetings_pb2_grpc.py")


def render() -> dict[str, str]:
    """The stubs as they should be committed: file name -> text."""
    from grpc_tools import protoc  # development dependency

    with tempfile.TemporaryDirectory() as out:
        args = [
            "protoc",
            f"-I{PROTO_DIR}",
            f"--python_out={out}",
            f"--pyi_out={out}",
            f"--grpc_python_out={out}",
            str(PROTO),
        ]
        if protoc.main(args) != 0:
            raise RuntimeError("protoc failed")
        generated = Path(out) / "innkeeper" / "meetings" / "v1"
        texts = {}
        for name in FILES:
            text = (generated / name).read_text().replace(GENERATED_IMPORT, PACKAGE_IMPORT)
            texts[name] = HEADER + text
        return texts


def main() -> None:
    for name, text in render().items():
        (HERE / name).write_text(text)
        sys.stdout.write(f"wrote {HERE / name}\n")


if __name__ == "__main__":
    main()
