"""Write docs/erd.md: the entity-relationship diagram of every table, generated from the SQLAlchemy models.

    python scripts/erd.py          # rewrite docs/erd.md
    python scripts/erd.py --check  # exit 1 if docs/erd.md is not what the models say (CI, a test)

The diagram is Mermaid (GitHub and most Markdown viewers draw it): one entity per table with its
columns (type, PK/FK, nullable), one line per foreign key. Nothing is written by hand, so it stays true:
run it after changing a model (tests/ops/test_erd.py fails until you do).
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import Column, ForeignKeyConstraint, Table, UniqueConstraint

from innkeeper.domains import load_models
from innkeeper.kit.db import Base

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "erd.md"

HEADER = """# Entity-relationship diagram

Generated from the models by `python scripts/erd.py`; do not edit by hand (`tests/ops/test_erd.py`
fails when it differs from the models). Every table, its columns (`PK` primary key, `FK` foreign
key, `"null"` nullable) and one line per foreign key: `||--o{` a required parent, `|o--o{` an optional
one, `--o|` where the child column is unique (at most one child). Money is `bigint` minor units next to a
`currency` column; instants are `datetime` in UTC.
"""

#: SQLAlchemy type names (``visit_name``) as the diagram shows them
TYPE_NAMES = {
    "big_integer": "bigint",
    "integer": "int",
    "small_integer": "int",
    "string": "string",
    "text": "text",
    "uuid": "uuid",
    "boolean": "bool",
    "date": "date",
    "datetime": "datetime",
    "time": "time",
    "JSON": "json",
    "numeric": "numeric",
    "float": "float",
    "large_binary": "bytes",
    "interval": "interval",
}


def type_name(column: Column[object]) -> str:
    column_type = column.type
    impl = getattr(column_type, "impl", column_type)  # TypeDecorator (UTCDateTime, JSONType, …)
    visit = getattr(impl, "__visit_name__", type(impl).__name__.lower())
    return TYPE_NAMES.get(str(visit), str(visit).lower().replace(" ", "_"))


def _unique_columns(table: Table) -> set[tuple[str, ...]]:
    unique = {
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    }
    unique |= {tuple(c.name for c in index.columns) for index in table.indexes if index.unique}
    unique |= {(c.name,) for c in table.columns if c.unique}
    unique.add(tuple(c.name for c in table.primary_key.columns))
    return unique


def entity(table: Table) -> list[str]:
    foreign = {element.parent.name for fk in table.foreign_key_constraints for element in fk.elements}
    lines = [f"    {table.name} {{"]
    for column in table.columns:
        keys = [k for k, on in (("PK", column.primary_key), ("FK", column.name in foreign)) if on]
        line = f"        {type_name(column)} {column.name}"
        if keys:
            line += " " + ", ".join(keys)
        if column.nullable and not column.primary_key:
            line += ' "null"'
        lines.append(line)
    lines.append("    }")
    return lines


def relationship(table: Table, fk: ForeignKeyConstraint, unique: set[tuple[str, ...]]) -> str:
    columns = tuple(element.parent.name for element in fk.elements)
    parent = fk.referred_table.name
    optional = any(table.columns[name].nullable for name in columns)
    left = "|o" if optional else "||"
    right = "o|" if columns in unique else "o{"
    return f'    {parent} {left}--{right} {table.name} : "{", ".join(columns)}"'


def render() -> str:
    load_models()
    tables = sorted(Base.metadata.tables.values(), key=lambda t: t.name)
    lines = [HEADER, "```mermaid", "erDiagram"]
    for table in tables:
        lines += entity(table)
    for table in tables:
        unique = _unique_columns(table)
        fks = sorted(table.foreign_key_constraints, key=lambda fk: [e.parent.name for e in fk.elements])
        lines += [relationship(table, fk, unique) for fk in fks]
    lines.append("```")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.is_file() or TARGET.read_text() != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run python scripts/erd.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(Base.metadata.tables)} tables)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
