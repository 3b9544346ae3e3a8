"""Server-rendered pages for keepers, handlers and auditors."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from custody.web import labels, views

    app.register_blueprint(views.bp)
    labels.register(app)
    app.jinja_env.filters["local_time"] = views.local_time
