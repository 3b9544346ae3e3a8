"""Settings come from CUSTODY_* variables with safe defaults; a dict passed to create_app wins."""

import pytest

from custody.config import from_environment


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("CUSTODY_ENV", "CUSTODY_DATABASE_URL", "CUSTODY_SECRET_KEY", "CUSTODY_TIMEZONE", "CUSTODY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_a_sqlite_file_and_a_generated_kept_secret(tmp_path):
    first = from_environment(str(tmp_path / "instance"))
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'custody.sqlite3'}"
    assert len(first["SECRET_KEY"]) == 64
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0
    assert from_environment(str(tmp_path / "instance"))["SECRET_KEY"] == first["SECRET_KEY"]
    assert first["CUSTODY_TIMEZONE"] == "Asia/Shanghai" and first["BABEL_DEFAULT_LOCALE"] == "zh"
    assert first["SESSION_COOKIE_HTTPONLY"] and not first["SESSION_COOKIE_SECURE"]


def test_environment_variables_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTODY_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("CUSTODY_BASE_URL", "https://centre.example/")
    monkeypatch.setenv("CUSTODY_TIMEZONE", "Asia/Urumqi")
    config = from_environment(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert config["CUSTODY_BASE_URL"] == "https://centre.example"
    assert config["CUSTODY_TIMEZONE"] == "Asia/Urumqi"


def test_a_dict_overrides_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTODY_DATABASE_URL", "sqlite:///env.db")
    by_custody_name = from_environment(str(tmp_path), {"CUSTODY_DATABASE_URL": "sqlite:///dict.db"})
    assert by_custody_name["SQLALCHEMY_DATABASE_URI"] == "sqlite:///dict.db"
    by_flask_name = from_environment(str(tmp_path), {"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"})
    assert by_flask_name["SQLALCHEMY_DATABASE_URI"] == "sqlite:///x.db"


def test_production_needs_a_secret_and_secures_cookies(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTODY_ENV", "production")
    with pytest.raises(RuntimeError, match="CUSTODY_SECRET_KEY"):
        from_environment(str(tmp_path))
    monkeypatch.setenv("CUSTODY_SECRET_KEY", "k" * 64)
    config = from_environment(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert not (tmp_path / "secret_key").exists()
