"""The task list page at /tasklist/: served from the package, every file it loads found
there and nothing from the network, the root leading to it. (Used in a browser:
tests/e2e/test_tasklist_*.py.)"""

from __future__ import annotations

import re
from typing import Any

import pytest

PAGE = "/tasklist/"
# Module imports and the page's own links: ``from "./x.js"``, ``src="app.js"``.
_REFERENCES = re.compile(r'(?:from\s*|import\s*\(\s*|src=|href=)"([^"]+)"')


def test_the_root_leads_to_the_task_list(client: Any) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == PAGE


def test_the_page_path_without_its_slash_leads_to_the_page(client: Any) -> None:
    response = client.get("/tasklist", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == PAGE


def test_the_page_is_html_that_may_load_only_its_own_files(client: Any) -> None:
    page = client.get(PAGE)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["etag"]


def test_every_file_the_page_loads_is_served_and_none_comes_from_another_host(
    client: Any,
) -> None:
    seen: set[str] = set()
    # The diagram's viewer is loaded on demand, by name, not by an import (diagram.js).
    pending = [
        "index.html",
        "vendor/bpmn-viewer.production.min.js",
        "vendor/diagram-js.css",
        "vendor/bpmn-js.css",
    ]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        response = client.get(PAGE + name)
        assert response.status_code == 200, name
        # The viewer's bundle imports nothing; its one address is the link of the bpmn.io
        # watermark, which its licence requires, not a file it loads.
        if name.endswith((".html", ".js", ".mjs")) and not name.endswith(".min.js"):
            base = name.rpartition("/")[0]
            for reference in _REFERENCES.findall(response.text):
                if reference.startswith("data:") or reference.startswith("../engine-rest"):
                    continue
                assert "//" not in reference, f"{name} loads {reference} from another host"
                joined = f"{base}/{reference}" if base else reference
                pending.append(_normalized(joined))
    assert {"app.js", "vendor/preact.mjs", "vendor/preact-hooks.mjs", "vendor/htm.mjs"} <= seen


def _normalized(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def test_a_file_that_is_not_there_is_camundas_404(client: Any) -> None:
    response = client.get(PAGE + "no-such-file.js")
    assert response.status_code == 404
    assert response.json()["type"] == "NotFoundException"


# Sent as written (httpx would resolve a literal ".." itself): the package's __init__.py
# and a module beside the page's directory.
@pytest.mark.parametrize("path", [PAGE + "%2e%2e/__init__.py", PAGE + "%2e%2e/app.py"])
def test_nothing_outside_the_page_directory_is_served(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert "create_app" not in response.text


def test_a_write_to_the_page_is_not_an_operation(client: Any) -> None:
    response = client.post(PAGE + "index.html")
    assert response.status_code in (404, 405)
    assert response.json()["type"] in ("NotFoundException", "NotAllowedException")
