"""A gunicorn config file (``-c``) that can freeze a worker at the edge of an act's commit.

Loaded only by the crash tests (through ``GUNICORN_CMD_ARGS``), never by the product. When the test
writes ``<CRASH_PAUSE_DIR>/arm`` (JSON: ``{"point": "before_commit" | "after_commit", "path": …}``), the
worker serving a POST to that path stops at that point of its unit of work's commit, writes
``<dir>/paused`` and sleeps until the test kills the server:

* ``before_commit``: every row of the act is written and the ledger head advanced, but the database's
  COMMIT has not been sent: the transaction is open for certain when the kill comes.
* ``after_commit``: the database has committed, but the client has not been answered.

Only the unit of work's own commit counts (``custody.services.uow.write_requested()``), not the commit
that ends the read transaction of signing the user in.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


def _pause_if_armed(point: str) -> None:
    folder = os.environ.get("CRASH_PAUSE_DIR")
    if not folder:
        return
    arm = Path(folder, "arm")
    if not arm.exists():
        return
    from flask import has_request_context, request

    from custody.services.uow import write_requested

    wanted = json.loads(arm.read_text())
    if wanted["point"] != point or not write_requested() or not has_request_context():
        return
    if request.method != "POST" or request.path != wanted["path"]:
        return
    Path(folder, "paused.tmp").write_text(json.dumps({"pid": os.getpid(), "point": point}))
    Path(folder, "paused.tmp").rename(Path(folder, "paused"))
    while True:  # until SIGKILL
        time.sleep(60)


def post_worker_init(worker: Any) -> None:
    """Listen to every engine's and session's commits in this worker."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    event.listen(Engine, "commit", lambda _conn: _pause_if_armed("before_commit"))
    event.listen(Session, "after_commit", lambda _session: _pause_if_armed("after_commit"))
