"""Identifiers: time-ordered UUIDs (version 7) so new rows land at the end of their indexes."""

from __future__ import annotations

import os
import time
import uuid


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version, 74 random bits."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: easy to read out on the phone


def reference(prefix: str = "IK", length: int = 7) -> str:
    """A human-friendly reference such as ``IK-7K3F9QZ`` (35 random bits)."""
    raw = int.from_bytes(os.urandom(5), "big")
    chars = []
    for _ in range(length):
        raw, rem = divmod(raw, 32)
        chars.append(CROCKFORD[rem])
    return f"{prefix}-{''.join(chars)}"
