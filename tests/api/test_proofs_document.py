"""The proofs endpoints' real answers match the served OpenAPI document (as tests/api/test_schemathesis.py checks
the rest): schemathesis rarely generates a seq or size that exists, so these are fetched for real."""

from __future__ import annotations

from typing import Any

from tests.api.test_schemathesis import api_schema, problem_json, world

__all__ = ["api_schema", "world"]  # fixtures


def test_real_proofs_match_the_document(api_schema: Any, world: dict[str, Any]) -> None:
    auth = {"Authorization": f"Bearer {world['token']}"}
    made = (
        api_schema["/api/v1/ledger/checkpoints"]["POST"]
        .Case()
        .call_and_validate(headers=auth, additional_checks=[problem_json])
    )
    assert made.status_code == 201, made.text
    size = int(made.text.split("\n")[1])
    calls: list[tuple[str, str, dict[str, Any], dict[str, Any], dict[str, str], int]] = [
        ("GET", "/api/v1/ledger/key", {}, {}, {}, 200),
        ("GET", "/api/v1/ledger/checkpoint", {}, {}, {}, 200),
        ("GET", "/api/v1/ledger/checkpoints/{size}", {"size": size}, {}, {}, 200),
        ("GET", "/api/v1/ledger/checkpoints/{size}", {"size": size + 1}, {}, {}, 404),
        ("GET", "/api/v1/ledger/entries/{seq}", {"seq": size}, {}, auth, 200),
        ("GET", "/api/v1/ledger/proof/inclusion", {}, {"seq": 1, "size": size}, auth, 200),
        ("GET", "/api/v1/ledger/proof/inclusion", {}, {"seq": size, "size": size - 1}, auth, 422),
        ("GET", "/api/v1/ledger/proof/consistency", {}, {"from": 1, "to": size}, auth, 200),
        ("GET", "/api/v1/ledger/proof/consistency", {}, {"from": size + 1}, auth, 422),
    ]
    for method, path, path_parameters, query, headers, status in calls:
        operation = api_schema[path][method]
        case = operation.Case(path_parameters=path_parameters, query=query)
        response = case.call_and_validate(headers=headers, additional_checks=[problem_json])
        assert response.status_code == status, (method, path, query, response.text)
