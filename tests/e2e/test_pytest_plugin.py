"""The pytest plugin, used as a user would: test files of their own, run by pytest in a
subprocess (pytester), finding the plugin through its entry point."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests import readme

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.e2e  # the tests start real server processes

# What users' tests use: the standard library only, no client of ours.
HELPERS = """
import json
import urllib.error
import urllib.request


def call(url, method="GET", body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # -p no:cacheprovider: nothing written beside the test files; -p xdist is not needed.
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_the_fixture_serves_a_real_server_at_the_url_it_yields(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        helpers=HELPERS,
        test_user=r"""
        from helpers import call

        def test_create_and_read(taskvars_server):
            assert taskvars_server.startswith("http://127.0.0.1:")
            assert taskvars_server.endswith("/engine-rest")
            assert call(f"{taskvars_server}/task/create", "POST", {"id": "t1"})[0] == 204
            status, body = call(f"{taskvars_server}/task/t1")
            assert status == 200
            assert b'"id": "t1"' in body or b'"id":"t1"' in body
        """,
    )
    run(pytester).assert_outcomes(passed=1)


def test_each_test_gets_an_empty_database(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        helpers=HELPERS,
        test_user="""
        import pytest
        from helpers import call

        @pytest.mark.parametrize("attempt", [1, 2])
        def test_the_same_id_is_free_in_every_test(taskvars_server, attempt):
            # a task left by the other test would make this a 409
            assert call(f"{taskvars_server}/task/create", "POST", {"id": "same"})[0] == 204
        """,
    )
    run(pytester).assert_outcomes(passed=2)


def test_the_marker_seeds_a_scenario_and_passes_options(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", scenario="tasks:\n  - {id: seeded, name: From the scenario}\n")
    pytester.makepyfile(
        helpers=HELPERS,
        test_user="""
        import pytest
        from helpers import call

        @pytest.mark.taskvars(seed="scenario.yaml", args=["--strict-params"])
        def test_seeded(taskvars_server):
            assert call(f"{taskvars_server}/task/seeded")[0] == 200
            # --strict-params: an undeclared query parameter is refused
            assert call(f"{taskvars_server}/task?noSuchParameter=1")[0] == 400
        """,
    )
    run(pytester).assert_outcomes(passed=1)


def test_a_shared_server_from_the_factory_keeps_data_between_tests(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        helpers=HELPERS,
        test_user="""
        import pytest
        from helpers import call

        @pytest.fixture(scope="module")
        def shared(taskvars_server_factory):
            return taskvars_server_factory()

        def test_first(shared):
            assert call(f"{shared}/task/create", "POST", {"id": "kept"})[0] == 204

        def test_second(shared):
            assert call(f"{shared}/task/kept")[0] == 200
        """,
    )
    run(pytester).assert_outcomes(passed=2)


def test_a_server_that_cannot_start_fails_the_test_with_its_output(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".yaml", broken="tasks:\n  - {id: 7}\n")
    pytester.makepyfile(
        test_user="""
        import pytest

        @pytest.mark.taskvars(seed="broken.yaml")
        def test_never_runs(taskvars_server):
            pass
        """,
    )
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*taskvars serve exited with 2*"])


def test_the_readme_example_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_invoice_review=readme.snippet("plugin-example"))
    run(pytester).assert_outcomes(passed=1)


def test_the_plugin_is_inert_until_a_fixture_is_asked_for(pytester: pytest.Pytester) -> None:
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, taskvars.pytest_plugin; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('taskvars', 'connexion', 'sqlalchemy', 'starlette', 'uvicorn')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.strip() == "['taskvars', 'taskvars.pytest_plugin']"
    pytester.makepyfile(test_plain="def test_nothing(): pass")
    result = run(pytester, "--fixtures")
    listed = result.stdout.str()
    # --fixtures lists them in an order of its own: each is there.
    for fixture in ("taskvars_server --", "taskvars_server_factory [", "taskvars_clock --"):
        assert fixture in listed
    off = run(pytester, "-p", "no:taskvars", "--fixtures")
    assert "taskvars_server" not in off.stdout.str()


def test_the_marker_passes_a_stand_ins_file_beside_the_test(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", **{"stand-ins": '[class."org.example.Audit"]\nset = { a = 1 }\n'})
    pytester.makefile(
        ".bpmn",
        audited="""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="urn:t">
  <process id="audited" isExecutable="true">
    <startEvent id="s" /><sequenceFlow id="f1" sourceRef="s" targetRef="audit" />
    <serviceTask id="audit" camunda:class="org.example.Audit" />
    <sequenceFlow id="f2" sourceRef="audit" targetRef="wait" />
    <userTask id="wait" />
  </process>
</definitions>
""",
    )
    pytester.makepyfile(
        helpers=HELPERS,
        test_user="""
        import json
        import pathlib
        import urllib.request
        import uuid

        import pytest
        from helpers import call

        def deploy(base, path):
            boundary = uuid.uuid4().hex
            body = (
                f"--{boundary}\\r\\nContent-Disposition: form-data; name=data; "
                f"filename={path.name}\\r\\n\\r\\n"
            ).encode() + path.read_bytes() + f"\\r\\n--{boundary}--\\r\\n".encode()
            request = urllib.request.Request(f"{base}/deployment/create", data=body)
            request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
            with urllib.request.urlopen(request) as response:
                assert response.status == 200

        @pytest.mark.taskvars(stand_ins="stand-ins.toml")
        def test_the_java_class_is_stood_in_for(taskvars_server):
            deploy(taskvars_server, pathlib.Path(__file__).parent / "audited.bpmn")
            url = f"{taskvars_server}/process-definition/key/audited/start"
            status, body = call(url, "POST", {})
            assert status == 200, body
            instance = json.loads(body)["id"]
            status, body = call(f"{taskvars_server}/process-instance/{instance}/variables")
            assert json.loads(body)["a"]["value"] == 1
        """,
    )
    run(pytester).assert_outcomes(passed=1)


def test_the_clock_fixture_moves_the_servers_clock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        helpers=HELPERS,
        test_user=r"""
        from datetime import datetime, timedelta

        from helpers import call

        def parse(text):
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")

        def test_advance(taskvars_server, taskvars_clock):
            before = parse(taskvars_clock.now())
            assert taskvars_clock.advance("P1D") is True
            after = parse(taskvars_clock.now())
            assert timedelta(days=1) <= after - before < timedelta(days=1, minutes=1)

        def test_no_clock_without_the_fixture(taskvars_server):
            assert call(f"{taskvars_server}/test-clock")[0] == 403
        """,
    )
    run(pytester).assert_outcomes(passed=2)
