"""The log's signing key: from configuration, or a file in the instance folder made on first use.

Its name is the log's origin (the first line of every checkpoint). ``CUSTODY_LOG_KEY`` holds the
signer key itself (a secret store, say); otherwise ``CUSTODY_LOG_KEY_FILE`` (default
``instance/log.key``), created with mode 0600 by ``flask custody init`` or on first use. The name
comes from ``CUSTODY_LOG_ORIGIN`` when a key is made; a key whose name differs from a configured
origin is refused, because every checkpoint it signed would name another log.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app

from custody.ledger.notes import SignerKey

_EXTENSION = "custody_log_key"


def default_origin(app: Flask) -> str:
    host = urlsplit(app.config["CUSTODY_BASE_URL"]).netloc or "localhost"
    return f"{host}/custody-ledger"


def ensure_log_key(app: Flask) -> tuple[SignerKey, bool]:
    """The log key, and whether it was made just now (``custody init`` prints the verifier key then)."""
    created = False
    text = app.config.get("CUSTODY_LOG_KEY")
    if not text:
        path = Path(app.config["CUSTODY_LOG_KEY_FILE"])
        if not path.exists():
            key = SignerKey.generate(app.config.get("CUSTODY_LOG_ORIGIN") or default_origin(app))
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first: use theirs
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(key.text() + "\n")
                created = True
        text = path.read_text()
    key = SignerKey.parse(text)
    origin = app.config.get("CUSTODY_LOG_ORIGIN")
    if origin and origin != key.name:
        raise RuntimeError(f"the log key is named {key.name!r} but CUSTODY_LOG_ORIGIN is {origin!r}")
    app.extensions[_EXTENSION] = key
    return key, created


def log_key() -> SignerKey:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    key = app.extensions.get(_EXTENSION)
    return key if key is not None else ensure_log_key(app)[0]
