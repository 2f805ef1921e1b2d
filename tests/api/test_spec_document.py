"""The spec is served as written: the YAML is the file, the JSON the same document."""

from __future__ import annotations

import json
from typing import Any

import yaml

from taskvars.resources import SPEC_NAME, spec_directory
from tests.api_client import Api

SPEC_FILE = spec_directory() / SPEC_NAME


def test_the_yaml_is_the_file_byte_for_byte(api: Api) -> None:
    response = api.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/yaml"
    assert response.content == SPEC_FILE.read_bytes()


def test_the_json_is_the_file_with_the_address_it_was_fetched_from_first(api: Api) -> None:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    served: dict[str, Any] = response.json()
    written = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    assert served["servers"][0]["url"] == "http://testserver/engine-rest"
    assert served["servers"][1:] == written["servers"]
    assert {**served, "servers": written["servers"]} == written


def test_the_json_keeps_every_ref_and_component_name(api: Api) -> None:
    served = api.get("/openapi.json").text
    written = SPEC_FILE.read_text(encoding="utf-8")
    assert served.count('"$ref"') == written.count("$ref:") > 100
    schemas = json.loads(served)["components"]["schemas"]
    assert {"VariableValueDto", "MultiFormVariableBinaryDto", "ExceptionDto", "TaskDto"} <= set(
        schemas
    )


def test_both_documents_carry_an_etag_and_answer_304_when_it_matches(api: Api) -> None:
    for path in ("/openapi.json", "/openapi.yaml"):
        etag = api.get(path).headers["etag"]
        again = api.client.get(api.url(path), headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""


def test_head_answers_the_headers_of_get(api: Api) -> None:
    got, head = api.get("/openapi.yaml"), api.client.head(api.url("/openapi.yaml"))
    assert head.status_code == 200
    assert head.headers["etag"] == got.headers["etag"]


def test_other_methods_are_a_405_that_names_get_and_head(api: Api) -> None:
    response = api.client.post(api.url("/openapi.json"))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json()["type"] == "NotAllowedException"
