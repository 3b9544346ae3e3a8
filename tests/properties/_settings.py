"""Hypothesis settings shared by the property tests, and why they are what they are.

Under CI (``CI=true``) every run is derandomized: the same examples each time, so a red build is a
real regression, reproducible from the log, never a lucky draw on a loaded machine. Elsewhere the
examples are random, so that repeated local runs explore further; ``CUSTODY_PROPERTY_SCALE`` (an
integer, default 1) multiplies the number of examples for a long hunt. No example database is kept:
a failure prints its minimal example and the blob to reproduce it.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

IN_CI = os.environ.get("CI") == "true"
ON_POSTGRES = os.environ.get("CUSTODY_TEST_DATABASE_URL", "").startswith("postgresql")
SCALE = max(1, int(os.environ.get("CUSTODY_PROPERTY_SCALE", "1") or 1))


def examples(n: int, **overrides: object) -> settings:
    """``n`` examples (times the scale), no deadline (a loaded 2-core machine is slow, not wrong)."""
    return settings(
        max_examples=n * SCALE,
        deadline=None,
        derandomize=IN_CI,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        **overrides,  # type: ignore[arg-type]
    )


# The fuzz tests of pure functions touch no database: the SQLite pass runs them, the PostgreSQL pass need not.
NO_DATABASE = pytest.mark.skipif(ON_POSTGRES, reason="no database involved: runs in the SQLite pass")
