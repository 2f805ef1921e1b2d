"""Typed JSON values through PUT and GET."""

from __future__ import annotations

import base64

import pytest

from tests.api_client import Api

VAR = "/task/t1/variables/v"


@pytest.fixture(autouse=True)
def task(api: Api) -> None:
    api.create_task("t1")


def put(api: Api, path: str, body: dict):
    return api.client.put(api.url(path), json=body)


@pytest.mark.parametrize(
    ("sent", "read_back"),
    [
        ({"type": "String", "value": "ACME"}, {"type": "String", "value": "ACME"}),
        (
            {"type": "string", "value": "lower-case type"},
            {"type": "String", "value": "lower-case type"},
        ),
        ({"type": "Boolean", "value": False}, {"type": "Boolean", "value": False}),
        ({"type": "Boolean", "value": "TRUE"}, {"type": "Boolean", "value": True}),
        ({"type": "Short", "value": -32768}, {"type": "Short", "value": -32768}),
        ({"type": "Integer", "value": 2147483647}, {"type": "Integer", "value": 2147483647}),
        ({"type": "Integer", "value": "42"}, {"type": "Integer", "value": 42}),
        (
            {"type": "Long", "value": 9223372036854775807},
            {"type": "Long", "value": 9223372036854775807},
        ),
        ({"type": "Double", "value": 1.25}, {"type": "Double", "value": 1.25}),
        ({"type": "Double", "value": 3}, {"type": "Double", "value": 3.0}),
        (
            {"type": "Date", "value": "2013-01-23T13:42:42.000+0200"},
            {"type": "Date", "value": "2013-01-23T13:42:42.000+0200"},
        ),
        ({"type": "Null", "value": None}, {"type": "Null", "value": None}),
        ({"type": "Json", "value": '{"a": 1}'}, {"type": "Json", "value": '{"a": 1}'}),
        ({"type": "Xml", "value": "<a/>"}, {"type": "Xml", "value": "<a/>"}),
        ({"value": "untyped"}, {"type": "String", "value": "untyped"}),
        ({"value": 12}, {"type": "Integer", "value": 12}),
        ({"value": 2**40}, {"type": "Long", "value": 2**40}),
        ({"value": 0.5}, {"type": "Double", "value": 0.5}),
        ({"value": True}, {"type": "Boolean", "value": True}),
        ({}, {"type": "Null", "value": None}),
        (
            {"type": "Bytes", "value": base64.b64encode(b"\x00\x01binary").decode()},
            {"type": "Bytes", "value": base64.b64encode(b"\x00\x01binary").decode()},
        ),
    ],
)
def test_a_value_reads_back_with_its_type(api: Api, sent: dict, read_back: dict) -> None:
    assert put(api, VAR, sent).status_code == 204
    answer = api.get(VAR).json()
    assert {"type": answer["type"], "value": answer["value"]} == read_back


def test_object_reads_back_serialized_or_parsed(api: Api) -> None:
    body = {
        "type": "Object",
        "value": '{"prop1": "a"}',
        "valueInfo": {
            "objectTypeName": "com.example.MyObject",
            "serializationDataFormat": "application/json",
        },
    }
    assert put(api, VAR, body).status_code == 204
    assert api.get(VAR, deserializeValue="false").json() == body
    assert api.get(VAR, deserializeValue="False").json()["value"] == '{"prop1": "a"}'
    assert api.get(VAR, deserializeValue="true").json()["value"] == {"prop1": "a"}


def test_untyped_map_is_stored_as_a_json_object(api: Api) -> None:
    assert put(api, VAR, {"value": {"a": [1, 2]}}).status_code == 204
    answer = api.get(VAR, deserializeValue="false").json()
    assert answer["type"] == "Object"
    assert answer["valueInfo"] == {
        "objectTypeName": "java.util.LinkedHashMap",
        "serializationDataFormat": "application/json",
    }
    assert api.get(VAR).json()["value"] == {"a": [1, 2]}


def test_file_sent_as_json_downloads_byte_for_byte(api: Api) -> None:
    content = bytes(range(256)) * 10
    body = {
        "type": "File",
        "value": base64.b64encode(content).decode(),
        "valueInfo": {
            "filename": "data.bin",
            "mimeType": "application/x-thing",
            "encoding": "UTF-8",
        },
    }
    assert put(api, VAR, body).status_code == 204
    assert api.get(VAR).json() == {
        "type": "File",
        "value": None,
        "valueInfo": {
            "filename": "data.bin",
            "mimeType": "application/x-thing",
            "encoding": "UTF-8",
        },
    }
    download = api.get(VAR + "/data")
    assert download.content == content
    assert download.headers["content-type"] == "application/x-thing; charset=UTF-8"


def test_an_update_may_change_the_type(api: Api) -> None:
    api.upload(VAR, b"binary first")
    put(api, VAR, {"type": "Integer", "value": 5})
    assert api.get(VAR).json()["type"] == "Integer"
    assert api.get(VAR + "/data").status_code == 400


def test_transient_value_is_accepted_and_not_stored(api: Api) -> None:
    body = {"type": "String", "value": "x", "valueInfo": {"transient": True}}
    assert put(api, VAR, body).status_code == 204
    assert api.get(VAR).status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"type": "Short", "value": 40000},
            "Cannot convert value '40000' of type 'Short' to java type java.lang.Short",
        ),
        (
            {"type": "Integer", "value": 2**31},
            f"Cannot convert value '{2**31}' of type 'Integer' to java type java.lang.Integer",
        ),
        (
            {"type": "Long", "value": "12x"},
            "Cannot convert value '12x' of type 'Long' to java type java.lang.Long",
        ),
        (
            {"type": "Boolean", "value": "yes"},
            "Cannot convert value 'yes' of type 'Boolean' to java type java.lang.Boolean",
        ),
        (
            {"type": "Date", "value": "23.01.2013"},
            "Cannot convert value '23.01.2013' of type 'Date' to java type java.util.Date",
        ),
        (
            {"type": "Bytes", "value": "not base64!"},
            "Cannot convert value 'not base64!' of type 'Bytes' to java type [B",
        ),
        (
            {"type": "Object", "value": {"a": 1}},
            "Must provide 'null' or String value for value of SerializableValue type 'Object'.",
        ),
        (
            {"type": "File", "value": "YQ==", "valueInfo": {}},
            "Cannot create file without filename! "
            "Please set a name into ValueInfo with key filename",
        ),
        ({"type": "Wat", "value": 1}, "Unsupported value type 'Wat'"),
    ],
)
def test_values_that_do_not_convert_are_refused_with_camundas_message(
    api: Api, body: dict, message: str
) -> None:
    response = put(api, VAR, body)
    assert response.status_code == 400
    assert response.json() == {
        "type": "InvalidRequestException",
        "message": f"Cannot put task variable v: {message}",
        "code": None,
    }
    assert api.get(VAR).status_code == 404


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "/task/nope/variables/v",
            "Cannot put task variable v: task nope doesn't exist: task is null",
        ),
        (
            "/task/nope/localVariables/v",
            "Cannot put task variable v: task nope doesn't exist: task is null",
        ),
        (
            "/process-instance/nope/variables/v",
            "Cannot put process instance variable v: "
            "execution nope doesn't exist: execution is null",
        ),
        (
            "/execution/nope/localVariables/v",
            "Cannot put execution variable v: execution nope doesn't exist: execution is null",
        ),
    ],
)
def test_put_to_a_missing_scope_answers_camundas_500(api: Api, path: str, message: str) -> None:
    response = put(api, path, {"value": 1})
    assert response.status_code == 500
    assert response.json() == {"type": "RestException", "message": message, "code": 0}


def test_unsupported_type_message_names_the_resource(api: Api) -> None:
    api.create_process_instance({"id": "p"})
    response = put(api, "/process-instance/p/variables/v", {"type": "Wat"})
    assert (
        response.json()["message"]
        == "Cannot put process instance variable v: Unsupported value type 'Wat'"
    )


@pytest.mark.parametrize(
    ("value", "data_format"),
    [
        ("<customer><name>ACME</name></customer>", "application/xml"),
        ("rO0ABXQABUFDTUUg", "application/x-java-serialized-object"),
        ("{not json", "application/json"),
    ],
)
def test_objects_that_are_not_json_come_back_serialized(
    api: Api, value: str, data_format: str
) -> None:
    body = {
        "type": "Object",
        "value": value,
        "valueInfo": {
            "objectTypeName": "com.example.Customer",
            "serializationDataFormat": data_format,
        },
    }
    assert put(api, VAR, body).status_code == 204
    assert api.get(VAR).json()["value"] == value
    assert api.get("/task/t1/variables").json()["v"]["value"] == value


@pytest.mark.parametrize(
    ("value_info", "message"),
    [
        (
            {"filename": "f", "mimeType": "text/" + "x" * 300},
            "valueInfo.mimeType is longer than 255",
        ),
        ({"filename": "f", "encoding": "u" * 256}, "valueInfo.encoding is longer than 255"),
        ({"filename": "f", "mimeType": 42}, "valueInfo.mimeType must be a string"),
        ({"filename": ["f"]}, "valueInfo.filename must be a string"),
    ],
)
def test_file_details_beyond_their_columns_are_a_400_on_every_database(
    api: Api, value_info: dict, message: str
) -> None:
    api.create_task("lim")
    response = api.client.put(
        api.url("/task/lim/variables/f"),
        json={"type": "File", "value": "YWJj", "valueInfo": value_info},
    )
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "InvalidRequestException"
    assert message in response.json()["message"]
    assert api.get("/task/lim/variables/f").status_code == 404


def test_a_part_media_type_beyond_its_column_is_a_400_on_every_database(api: Api) -> None:
    api.create_task("lim")
    response = api.upload(
        "/task/lim/variables/f",
        b"abc",
        value_type="File",
        filename="f.txt",
        content_type_header="text/" + "x" * 300,
    )
    assert response.status_code == 400, response.text
    assert "valueInfo.mimeType is longer than 255" in response.json()["message"]
    assert api.get("/task/lim/variables/f").status_code == 404


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", 10**400])
def test_a_double_that_json_cannot_carry_back_is_refused(api: Api, value: object) -> None:
    api.create_task("dbl")
    response = api.client.put(
        api.url("/task/dbl/variables/d"), json={"type": "Double", "value": value}
    )
    assert response.status_code == 400, response.text
    assert "java.lang.Double" in response.json()["message"]
    assert api.get("/task/dbl/variables/d").status_code == 404
