"""Field encryption with rotatable keys (Fernet / MultiFernet from ``cryptography``).

``INNKEEPER_ENCRYPTION_KEYS`` holds comma-separated Fernet keys, newest first: new data is sealed with
the first, every listed key can open. Without it a key is derived from ``INNKEEPER_SECRET_KEY`` (HKDF),
which is fine for development; production should set explicit keys so the signing key can rotate on
its own. ``innkeeper rotate-keys`` re-seals stored data with the newest key.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive_key(secret: str, purpose: str = "innkeeper-field-encryption") -> str:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(secret.encode())
    return base64.urlsafe_b64encode(raw).decode()


class Crypto:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])

    @classmethod
    def from_settings(cls, secret_key: str, encryption_keys: str | None) -> Crypto:
        keys = [k.strip() for k in (encryption_keys or "").split(",") if k.strip()]
        return cls(keys or [derive_key(secret_key)])

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("cannot decrypt: unknown key or tampered data") from exc

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()

    def seal_json(self, value: Any) -> str:
        return self.seal(json.dumps(value, separators=(",", ":")))

    def open_json(self, token: str) -> Any:
        return json.loads(self.open(token))


def mask(value: str | None, keep: int = 4) -> str | None:
    if value is None:
        return None
    return "•" * max(0, len(value) - keep) + value[-keep:]
