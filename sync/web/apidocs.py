"""/api/docs: the OpenAPI description rendered on the server (no JavaScript, no CDN, so it
works offline and under the strict CSP); Swagger UI stays at /api/swagger for trying
requests out where the CDN is reachable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sync.web.auth import Actor, optional_actor
from sync.web.state import web

router = APIRouter(include_in_schema=False)

METHODS = ("get", "post", "put", "patch", "delete")


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[1]
    if "anyOf" in schema:
        return " | ".join(_schema_name(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items', {}))}"
    return str(schema.get("type", "object"))


def _fields(spec: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    elif "anyOf" in schema:  # Optional[Model]
        refs = [s for s in schema["anyOf"] if "$ref" in s]
        return _fields(spec, refs[0]) if refs else []
    required = set(schema.get("required", ()))
    return [
        {"name": name, "type": _schema_name(prop), "required": name in required,
         "description": prop.get("description", "")}
        for name, prop in schema.get("properties", {}).items()
    ]


def operations(spec: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(tag, operations) in the order the spec lists them."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {})
            body_type, body_schema = next(iter(body.items()), (None, {}))
            groups.setdefault((op.get("tags") or ["other"])[0], []).append({
                "id": op.get("operationId", f"{method}-{path}"),
                "method": method.upper(),
                "path": path,
                "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "parameters": [
                    {"name": p["name"], "in": p["in"], "required": p.get("required", False),
                     "type": _schema_name(p.get("schema", {})),
                     "description": p.get("description", "")}
                    for p in op.get("parameters", [])
                ],
                "body_type": body_type,
                "body": _fields(spec, body_schema.get("schema", {})) if body_type else [],
                "responses": [(code, r.get("description", ""))
                              for code, r in op.get("responses", {}).items()],
                "secured": bool(op.get("security")),
            })
    return list(groups.items())


@router.get("/api/docs")
def api_docs(request: Request, actor: Actor | None = Depends(optional_actor)) -> Response:
    spec = request.app.openapi()
    return web(request).renderer.page(request, "apidocs.html", {
        "spec": spec, "groups": operations(spec)})
