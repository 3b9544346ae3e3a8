"""Settings from CUSTODY_* environment variables, with safe defaults.

``create_app(config)`` lets a dict override anything here (tests do).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

TRUE = {"1", "true", "yes", "on"}


def _secret_key(instance: Path) -> str:
    """A key kept under instance/ so sessions survive restarts without a key in the repo."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _entries(value: str) -> list[str]:
    return [line.strip() for line in value.replace(";", "\n").splitlines() if line.strip()]


def from_environment(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    env = os.environ
    overrides = dict(overrides or {})
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)  # the default SQLite file and secret key live here
    production = (overrides.get("CUSTODY_ENV") or env.get("CUSTODY_ENV", "development")) == "production"

    url = (
        overrides.get("SQLALCHEMY_DATABASE_URI")
        or overrides.get("CUSTODY_DATABASE_URL")
        or env.get("CUSTODY_DATABASE_URL")
        or f"sqlite:///{instance / 'custody.sqlite3'}"
    )
    secret = overrides.get("SECRET_KEY") or env.get("CUSTODY_SECRET_KEY")
    if not secret:
        if production:
            raise RuntimeError("CUSTODY_SECRET_KEY must be set when CUSTODY_ENV=production")
        secret = _secret_key(instance)

    config: dict[str, Any] = {
        "CUSTODY_ENV": "production" if production else "development",
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "CUSTODY_TIMEZONE": env.get("CUSTODY_TIMEZONE", "Asia/Shanghai"),
        "CUSTODY_BASE_URL": env.get("CUSTODY_BASE_URL", "http://localhost:5000").rstrip("/"),
        "CUSTODY_FILES_DIR": env.get("CUSTODY_FILES_DIR", str(instance / "files")),
        "CUSTODY_TOKEN_DAYS": int(env.get("CUSTODY_TOKEN_DAYS", "30")),
        "CUSTODY_INTAKE_HOURS": int(env.get("CUSTODY_INTAKE_HOURS", "24")),
        # Alert thresholds in days (custody/services/alerts): a handover step, items of a closed case,
        # an approved disposition not executed, the ledger not verified.
        "CUSTODY_HANDOVER_WAIT_DAYS": int(env.get("CUSTODY_HANDOVER_WAIT_DAYS", "3")),
        "CUSTODY_CLOSED_CASE_DAYS": int(env.get("CUSTODY_CLOSED_CASE_DAYS", "30")),
        "CUSTODY_DISPOSITION_WAIT_DAYS": int(env.get("CUSTODY_DISPOSITION_WAIT_DAYS", "7")),
        "CUSTODY_VERIFY_DAYS": int(env.get("CUSTODY_VERIFY_DAYS", "7")),
        # The verifiable log (custody/ledger/keys.py): the signer key itself, or the file that holds it,
        # and its name, which is the origin line of every checkpoint.
        "CUSTODY_LOG_KEY": env.get("CUSTODY_LOG_KEY"),
        "CUSTODY_LOG_KEY_FILE": env.get("CUSTODY_LOG_KEY_FILE", str(instance / "log.key")),
        "CUSTODY_LOG_ORIGIN": env.get("CUSTODY_LOG_ORIGIN"),
        # Witnesses (custody/services/witnessing.py): "<verifier key> <URL>" entries, newline or ";"
        # separated; the quorum defaults to all of them.
        "CUSTODY_WITNESSES": _entries(env.get("CUSTODY_WITNESSES", "")),
        "CUSTODY_WITNESS_QUORUM": int(env["CUSTODY_WITNESS_QUORUM"]) if env.get("CUSTODY_WITNESS_QUORUM") else None,
        "CUSTODY_WITNESS_TIMEOUT": float(env.get("CUSTODY_WITNESS_TIMEOUT", "5")),
        "CUSTODY_MAX_BATCH": int(env.get("CUSTODY_MAX_BATCH", "20000")),
        # Logs (custody/ops/logs.py): "json" lines for collectors (production's default) or "text";
        # /metrics (custody/ops/metrics.py) answers these addresses/networks, or an admin's/auditor's token.
        "CUSTODY_LOG_FORMAT": env.get("CUSTODY_LOG_FORMAT", "json" if production else "text"),
        "CUSTODY_LOG_LEVEL": env.get("CUSTODY_LOG_LEVEL", "INFO"),
        "CUSTODY_METRICS_ALLOW": env.get("CUSTODY_METRICS_ALLOW", "127.0.0.1,::1"),
        # One photo's file; a request bigger than MAX_CONTENT_LENGTH is refused (413) before this is checked.
        "CUSTODY_PHOTO_MAX_MB": int(env.get("CUSTODY_PHOTO_MAX_MB", "10")),
        # 10,000 items with descriptions fit easily; anything bigger is refused before parsing.
        "MAX_CONTENT_LENGTH": int(env.get("CUSTODY_MAX_UPLOAD_MB", "32")) * 1024 * 1024,
        # Sign-in (custody/services/signin.py): after FREE failures an account (or, after ADDRESS_FREE, an address)
        # waits DELAY seconds, doubling with every further failure up to MAX_DELAY; counted over WINDOW hours.
        "CUSTODY_SIGNIN_FREE": int(env.get("CUSTODY_SIGNIN_FREE", "5")),
        "CUSTODY_SIGNIN_ADDRESS_FREE": int(env.get("CUSTODY_SIGNIN_ADDRESS_FREE", "20")),
        "CUSTODY_SIGNIN_DELAY": int(env.get("CUSTODY_SIGNIN_DELAY", "2")),
        "CUSTODY_SIGNIN_MAX_DELAY": int(env.get("CUSTODY_SIGNIN_MAX_DELAY", "900")),
        "CUSTODY_SIGNIN_WINDOW_HOURS": int(env.get("CUSTODY_SIGNIN_WINDOW_HOURS", "24")),
        "CUSTODY_PASSWORD_MIN_LENGTH": int(env.get("CUSTODY_PASSWORD_MIN_LENGTH", "10")),
        # Demo mode lets the demo's users keep their printed passwords; outside it they must change them.
        "CUSTODY_DEMO_MODE": env.get("CUSTODY_DEMO_MODE", "" if production else "1").lower() in TRUE,
        # A signed-in browser is signed out after IDLE minutes without a request, and after MAX hours in any case.
        "CUSTODY_SESSION_IDLE_MINUTES": int(env.get("CUSTODY_SESSION_IDLE_MINUTES", "30")),
        "CUSTODY_SESSION_MAX_HOURS": int(env.get("CUSTODY_SESSION_MAX_HOURS", "12")),
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (0: trust none of them).
        "CUSTODY_TRUSTED_PROXIES": int(env.get("CUSTODY_TRUSTED_PROXIES", "0")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production or env.get("CUSTODY_SECURE_COOKIES", "").lower() in TRUE,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        "WTF_CSRF_CHECK_DEFAULT": False,  # enforced in a before_request hook that knows about bearer tokens
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": env.get("CUSTODY_TIMEZONE", "Asia/Shanghai"),
        "API_TITLE": "Custody ledger",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": None,  # smorest's page has an inline script; custody/api/docs.py serves /api/v1/docs
        "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
        "JSON_SORT_KEYS": False,
    }
    config.update(overrides)
    if "CUSTODY_DATABASE_URL" in overrides and "SQLALCHEMY_DATABASE_URI" not in overrides:
        config["SQLALCHEMY_DATABASE_URI"] = overrides["CUSTODY_DATABASE_URL"]
    return config
