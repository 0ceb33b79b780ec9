"""Hashing and tokens: argon2id passwords, HMAC for short codes, SHA-256 for random tokens, JWTs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_password_hash = PasswordHash((Argon2Hasher(),))
#: Verified against when the account does not exist, so both paths cost the same. Made on first use,
#: with the configured cost: hashing at import cost every process (the CLI, each worker) up to ~0.9 s.
_DUMMY_HASH: str | None = None


def configure_password_hashing(*, time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Set the argon2id cost for new hashes (stored hashes carry their own parameters, so changing it
    never breaks a login). Production keeps the defaults; the test suite turns them down."""
    global _password_hash, _DUMMY_HASH
    current = _password_hash.hashers[0]
    if (
        getattr(current, "time_cost", None),
        getattr(current, "memory_cost", None),
        getattr(current, "parallelism", None),
    ) == (time_cost, memory_kib, parallelism):
        return
    _password_hash = PasswordHash(
        (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism),)
    )
    _DUMMY_HASH = None


JWT_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Constant work whether or not a hash exists (enumeration resistance)."""
    global _DUMMY_HASH
    if not hashed:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = _password_hash.hash("innkeeper-timing-equaliser")
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    try:
        return _password_hash.verify(password, hashed)
    except Exception:
        return False


def hash_token(token: str) -> str:
    """High-entropy random tokens (refresh tokens) are stored as their SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def hmac_code(secret: str, code: str, *, context: str) -> str:
    """Low-entropy codes (OTP) are stored keyed with the server secret, bound to their context."""
    return hmac.new(secret.encode(), f"{context}:{code}".encode(), hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def numeric_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def encode_access_token(
    secret: str, *, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime, ttl: timedelta
) -> tuple[str, str]:
    jti = uuid.uuid4().hex
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "typ": "access",
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM), jti


def decode_access_token(secret: str, token: str, *, now: datetime) -> dict[str, Any]:
    """Raises ``jwt.InvalidTokenError`` for anything wrong (signature, expiry, shape)."""
    claims = jwt.decode(
        token,
        secret,
        algorithms=[JWT_ALGORITHM],
        options={"require": ["exp", "iat", "sub", "sid", "jti"], "verify_exp": False, "verify_iat": False},
    )
    if claims.get("typ") != "access":
        raise jwt.InvalidTokenError("not an access token")
    if int(claims["exp"]) <= int(now.timestamp()):  # checked against the injectable clock
        raise jwt.ExpiredSignatureError("token expired")
    return claims
