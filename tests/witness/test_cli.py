"""``flask custody witness init|serve`` and the witness app for a WSGI server."""

from __future__ import annotations

import stat
from typing import Any

import pytest

from custody.ledger.notes import SignerKey
from custody.ledger.offline import COSIGNATURE_V1, Note, VerifierKey
from custody.witness.app import from_environment
from tests.witness.toylog import ToyLog


def test_init_makes_a_private_cosignature_key_and_prints_its_verifier(runner, tmp_path):
    path = tmp_path / "keys" / "witness.key"
    result = runner.invoke(args=["custody", "witness", "init", "witness.test/w1", "--key-file", str(path)])
    assert result.exit_code == 0, result.output
    key = SignerKey.parse(path.read_text())
    assert (key.name, key.key_type) == ("witness.test/w1", COSIGNATURE_V1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert VerifierKey.parse(result.output.strip().splitlines()[-1]) == key.verifier
    again = runner.invoke(args=["custody", "witness", "init", "witness.test/w1", "--key-file", str(path)])
    assert again.exit_code == 2 and SignerKey.parse(path.read_text()) == key  # a witness keeps its key
    bad = runner.invoke(args=["custody", "witness", "init", "has space", "--key-file", str(tmp_path / "x.key")])
    assert bad.exit_code == 2


@pytest.fixture
def key_file(tmp_path: Any) -> Any:
    path = tmp_path / "witness.key"
    path.write_text(SignerKey.generate("witness.test/w1", COSIGNATURE_V1).text() + "\n")
    return path


def test_serve_runs_the_witness_for_the_logs_given(runner, tmp_path, key_file, monkeypatch):
    served: dict[str, Any] = {}
    monkeypatch.setattr(
        "werkzeug.serving.run_simple",
        lambda host, port, app, threaded: served.update(host=host, port=port, app=app, threaded=threaded),
    )
    first, second = ToyLog(3), ToyLog(4, origin="example.test/second")
    logs_file = tmp_path / "logs.txt"
    logs_file.write_text(f"# the second log\n{second.key.verifier.text()}\n\n")
    args = ["custody", "witness", "serve", "--key-file", str(key_file), "--store", str(tmp_path / "w.sqlite3")]
    result = runner.invoke(args=[*args, "--log", first.key.verifier.text(), "--logs-file", str(logs_file)])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"], served["threaded"]) == ("127.0.0.1", 8650, True)
    client = served["app"].test_client()
    for log in (first, second):
        answer = client.post("/add-checkpoint", data=log.body(0))
        assert answer.status_code == 200
        witness_key = SignerKey.parse(key_file.read_text()).verifier
        assert Note.parse(log.checkpoint() + answer.get_data(as_text=True)).cosigned_by(witness_key)


def test_serve_refuses_a_bad_setup(runner, tmp_path, key_file, monkeypatch):
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda *a, **kw: pytest.fail("must not serve"))
    store = ["--store", str(tmp_path / "w.sqlite3")]
    no_logs = runner.invoke(args=["custody", "witness", "serve", "--key-file", str(key_file), *store])
    assert no_logs.exit_code == 2 and "--log" in no_logs.output
    log_key_file = tmp_path / "log.key"
    log_key_file.write_text(SignerKey.generate("example.test/log").text())
    log = ["--log", ToyLog().key.verifier.text()]
    not_a_witness = runner.invoke(args=["custody", "witness", "serve", "--key-file", str(log_key_file), *store, *log])
    assert not_a_witness.exit_code == 2
    witness_as_log = ["--log", SignerKey.parse(key_file.read_text()).verifier.text()]
    wrong = runner.invoke(args=["custody", "witness", "serve", "--key-file", str(key_file), *store, *witness_as_log])
    assert wrong.exit_code == 2 and "not a log key" in wrong.output


def test_the_wsgi_factory_reads_the_environment(tmp_path, key_file, monkeypatch):
    log = ToyLog(2)
    monkeypatch.setenv("CUSTODY_WITNESS_KEY_FILE", str(key_file))
    monkeypatch.setenv("CUSTODY_WITNESS_STORE", str(tmp_path / "w.sqlite3"))
    monkeypatch.setenv("CUSTODY_WITNESS_LOGS", log.key.verifier.text())
    client = from_environment().test_client()
    assert client.post("/add-checkpoint", data=log.body(0)).status_code == 200
