"""The methods the spec allows on each path, for ``Allow`` on a 405.

Starlette's router, under connexion, lists only the methods of the route it matched,
which for a path with several operations is a subset.
"""

from __future__ import annotations

import re
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PARAMETER = re.compile(r"\\{[^/]+?\\}")


class AllowedMethods:
    def __init__(self, spec: dict[str, Any], base_path: str) -> None:
        self._routes: list[tuple[re.Pattern[str], str]] = []
        # The most specific template first, whatever the spec's order: a literal segment
        # beats a parameter (``/comment/create`` before ``/comment/{commentId}``).
        templates = sorted(spec.get("paths", {}).items(), key=lambda entry: entry[0].count("{"))
        for template, item in templates:
            methods = {m.upper() for m in item if m in HTTP_METHODS}
            if "GET" in methods:
                methods.add("HEAD")
            pattern = _PARAMETER.sub("[^/]+", re.escape(base_path + template))
            self._routes.append((re.compile(f"^{pattern}$"), ", ".join(sorted(methods))))

    def for_path(self, path: str) -> str | None:
        return next((allow for pattern, allow in self._routes if pattern.match(path)), None)
