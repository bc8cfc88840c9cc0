"""The OpenAPI document is valid OpenAPI 3.0, has what QGIS 3.22 reads, and every Features endpoint
answers as it says: schemathesis sends generated requests and checks each response against it."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from ogc.features import DEFAULT_LIMIT, MAX_LIMIT
from store import Store
from tests.conftest import app_on


def test_the_openapi_document_is_valid_openapi_30(client: TestClient) -> None:
    response = client.get("/ogc/api")
    assert response.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    document = response.json()
    validate(document)  # raises on any error
    assert document["openapi"].startswith("3.0")
    # QGIS 3.22 pages with limit's default and maximum from exactly here
    limit = document["components"]["parameters"]["limit"]["schema"]
    assert (limit["default"], limit["maximum"]) == (DEFAULT_LIMIT, MAX_LIMIT)
    ids = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert document["paths"]["/collections/{collectionId}/items"]["get"]["parameters"][0]["schema"]["enum"] == ids


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def test_every_answer_conforms_to_the_openapi_document(demo_build: tuple[Path, object], demo_store: Store) -> None:
    """Generated requests to each operation (valid by the document: bboxes, limits, crs, ids ...);
    no answer may be a 500 or differ from what the document says, in status, type, headers or body."""
    # An app of its own: schemathesis runs the app's lifespan, whose shutdown would stop the shared one's.
    schema = schemathesis.openapi.from_asgi("/ogc/api", app_on(demo_build[0], demo_store))
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {operation.path for operation in operations}
    assert {"/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}"} <= paths, paths
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def conforms(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        conforms()
