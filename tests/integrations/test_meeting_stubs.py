"""The committed gRPC stubs are what ``proto/innkeeper/meetings/v1/meetings.proto`` generates."""

from __future__ import annotations

from innkeeper.integrations.meetings import codegen


def test_the_committed_stubs_are_current() -> None:
    for name, text in codegen.render().items():
        committed = (codegen.HERE / name).read_text()
        assert committed == text, (
            f"{name} is stale: run .venv/bin/python -m innkeeper.integrations.meetings.codegen"
        )
