"""The custody ledger for cross-agency seized-property centres."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from custody import config as config_module
from custody.extensions import api, babel, csrf, db, migrate


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings → extensions → blueprints → error handlers → commands."""
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates", static_folder="../static")
    app.config.update(config_module.from_environment(app.instance_path, config))
    trust_proxies(app)
    register_observability(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies, take the client's address and scheme from their X-Forwarded-* headers.

    Only as many hops as configured are believed: a client cannot forge its address for sign-in
    throttling or the security log by sending the header itself."""
    hops = int(app.config.get("CUSTODY_TRUSTED_PROXIES", 0))
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]


def register_observability(app: Flask) -> None:
    """First: the request id and the access log's clock start before any other hook can fail."""
    from custody import ops

    ops.init_app(app)


def register_extensions(app: Flask) -> None:
    from custody.web import headers, i18n, security, sessions

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    security.init_login(app)
    sessions.init_sessions(app)
    headers.init_headers(app)


def register_blueprints(app: Flask) -> None:
    from custody.api import register_api
    from custody.web import register_web

    register_api(app)
    register_web(app)


def register_errorhandlers(app: Flask) -> None:
    from custody.web.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    from custody.cli import custody_group
    from custody.cli_backup import COMMANDS as BACKUP_COMMANDS
    from custody.cli_log import COMMANDS as LOG_COMMANDS
    from custody.cli_tokens import COMMANDS as TOKEN_COMMANDS
    from custody.witness.cli import witness_group

    custody_group.add_command(witness_group)
    for command in LOG_COMMANDS:
        custody_group.add_command(command)
    for command in BACKUP_COMMANDS:
        custody_group.add_command(command)
    for command in TOKEN_COMMANDS:
        custody_group.add_command(command)
    app.cli.add_command(custody_group)


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _configure_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers, FULL sync so a committed act survives a power cut,
    and BEGIN IMMEDIATE for write transactions (see services.uow)."""
    from custody.services.uow import write_requested

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we send BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_requested() else "BEGIN")


__all__ = ["api", "create_app"]
