"""The API as its OpenAPI document describes it: an answer's status must be one the
operation declares, and a JSON body must validate against the schema declared for it."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import jsonschema


def _template(path: str) -> re.Pattern[str]:
    # {key} of posts can hold slashes (a route {key:path}); other parameters cannot
    pattern = re.sub(
        r"\{key\}", r"(?P<key>.+)", re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
    )
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
    return re.compile(f"^{pattern}$")


@lru_cache(maxsize=8)
def _templates(paths: tuple[str, ...]) -> list[tuple[str, re.Pattern[str]]]:
    return [(p, _template(p)) for p in paths]


def operation(spec: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The (template, operation) a request is served by: a literal segment beats a
    parameter, as the routes are ordered."""
    path = path.split("?", 1)[0]
    matches = [
        (t, rx)
        for t, rx in _templates(tuple(spec["paths"]))
        if rx.match(path) and method.lower() in spec["paths"][t]
    ]
    assert matches, f"{method} {path} is not in the OpenAPI document"
    template = max(matches, key=lambda m: (len(re.sub(r"\{\w+\}", "", m[0])), -m[0].count("{")))[0]
    return template, spec["paths"][template][method.lower()]


def check(spec: dict[str, Any], method: str, path: str, response: Any) -> None:
    """Fail unless the answer is one the document declares, in the declared shape."""
    template, op = operation(spec, method, path)
    status = str(response.status_code)
    declared = op.get("responses", {})
    assert status in declared, (
        f"{method} {template} answered {status}, which its description does not declare "
        f"({', '.join(declared)}): {response.text[:300]}"
    )
    content = declared[status].get("content", {})
    kind = response.headers.get("content-type", "").split(";")[0]
    if status == "204":
        return
    assert kind in content, f"{method} {template} {status}: {kind} is not declared"
    schema = content[kind].get("schema")
    if kind == "application/json" and schema:
        document = {**schema, "components": spec.get("components", {})}
        try:
            jsonschema.validate(response.json(), document, cls=jsonschema.Draft202012Validator)
        except jsonschema.ValidationError as exc:
            raise AssertionError(
                f"{method} {template} {status}: the body does not match "
                f"its schema: {exc.message} at {list(exc.absolute_path)}"
            ) from None
