"""The column types' conversions that every read goes through."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from innkeeper.kit.db import UTCDateTime, json_loads


def test_json_reads_what_the_standard_module_reads() -> None:
    """orjson first, the standard module for what orjson refuses: nothing stored becomes unreadable."""
    assert json_loads('{"a": [1, 2.5, "é", null, true]}') == {"a": [1, 2.5, "é", None, True]}
    assert json_loads(b'{"a": 1}') == {"a": 1}
    assert json_loads(str(2**70)) == 2**70  # past 64 bits
    assert math.isnan(json_loads("NaN"))
    assert json_loads('"\\ud800"') == "\ud800"  # a lone surrogate


def test_instants_from_asyncpg_are_not_converted_but_sqlites_are() -> None:
    def processor(dialect: Any) -> Any:
        return UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)

    assert processor(PGDialect_asyncpg()) is None  # asyncpg gives aware UTC instants already
    process = processor(sqlite.dialect())  # SQLite stores text without a zone
    assert process("2026-03-29 01:30:00.000000") == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert processor(postgresql.dialect()) is not None  # another PostgreSQL driver: still checked
