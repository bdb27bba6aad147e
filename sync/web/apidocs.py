"""The API's description: the OpenAPI document (/api/openapi.json) completed from the routes
themselves (the role each endpoint needs, and every error it can answer with, in the one
error shape), /api/docs rendered on the server (no JavaScript), and Swagger UI at
/api/swagger from the files of the ``swagger-ui-bundle-v2`` package, served by transync
under its own strict CSP: no CDN, no request to any other host, works offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from sync.web.auth import Actor, api_actor, api_admin, api_editor, optional_actor
from sync.web.schemas import ERRORS
from sync.web.state import web

router = APIRouter(include_in_schema=False)

METHODS = ("get", "post", "put", "patch", "delete")
ROLE_OF = {api_admin: "admin", api_editor: "editor", api_actor: "translator"}
ROLE_TEXT = {
    "admin": "admins only",
    "editor": "editors and admins",
    "translator": "anyone with a token (translators, editors, admins)",
}
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def route_role(route: Any) -> str | None:
    """The least role a route's dependencies ask for (None: no token needed)."""
    found: set[str] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call in ROLE_OF:
            found.add(ROLE_OF[dep.call])  # type: ignore[index]
        stack.extend(dep.dependencies)
    for role in ("admin", "editor", "translator"):
        if role in found:
            return role
    return None


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def api_routes(routes: list[Any]) -> list[Any]:
    """Every API route, with the path it is served at (FastAPI ≥ 0.16x keeps included
    routers nested and resolves them through route contexts)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routes are flat APIRoutes
        return [r for r in routes if isinstance(r, APIRoute)]
    return [ctx for ctx in iter_route_contexts(routes) if isinstance(ctx.original_route, APIRoute)]


def complete(spec: dict[str, Any], routes: list[Any]) -> dict[str, Any]:
    """Add to each operation what its route implies: the role (``x-transync-role`` and the
    description's first line), 401 and 403, 422 in the error shape (in place of FastAPI's
    own), 413 with a body, 503 always."""
    for route in api_routes(routes):
        if not route.include_in_schema:
            continue
        role = route_role(route)
        for method in route.methods:
            op = spec["paths"].get(route.path_format, {}).get(method.lower())
            if op is None:
                continue
            responses = op.setdefault("responses", {})
            op["x-transync-role"] = role or "none"
            who = ROLE_TEXT[role] if role else "none: no token needed"
            op["description"] = f"**Role:** {who}.\n\n" + op.get("description", "")
            if role:
                responses.setdefault("401", _error(ERRORS[401]))
            if role in ("admin", "editor"):
                responses.setdefault(
                    "403", _error(f"Your role is not enough: this is for {ROLE_TEXT[role]}.")
                )
            has_input = bool(
                route.dependant.path_params
                or route.dependant.query_params
                or route.dependant.header_params
                or route.body_field
            )
            if has_input:
                current = responses.get("422")
                if current is None or "HTTPValidationError" in str(current):
                    responses["422"] = _error(ERRORS[422])
            if route.body_field is not None:
                responses.setdefault("413", _error(ERRORS[413]))
            if route.path_format.startswith("/api/"):
                responses.setdefault("503", _error(ERRORS[503]))
            op["responses"] = dict(sorted(responses.items()))
    schemas = spec.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return spec


def install(app: FastAPI) -> None:
    """Serve the completed description as the app's OpenAPI document (made once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = complete(spec, app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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
        {
            "name": name,
            "type": _schema_name(prop),
            "required": name in required,
            "description": prop.get("description", ""),
        }
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
            groups.setdefault((op.get("tags") or ["other"])[0], []).append(
                {
                    "id": op.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", "").split("\n\n", 1)[-1]
                    if op.get("description", "").startswith("**Role:**")
                    else op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _schema_name(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body_type": body_type,
                    "body": _fields(spec, body_schema.get("schema", {})) if body_type else [],
                    "responses": [
                        (code, r.get("description", ""))
                        for code, r in op.get("responses", {}).items()
                    ],
                    "secured": bool(op.get("security")),
                    "role": op.get("x-transync-role", "none"),
                }
            )
    return list(groups.items())


@router.get("/api/docs")
def api_docs(request: Request, actor: Actor | None = Depends(optional_actor)) -> Response:
    spec = request.app.openapi()
    return web(request).renderer.page(
        request, "apidocs.html", {"spec": spec, "groups": operations(spec)}
    )


# -- Swagger UI, from the package's files --------------------------------------------------------

SWAGGER_FILES = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
INIT = Path(__file__).with_name("static") / "swagger-init.js"


def swagger_dir() -> Path:
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


@router.get("/api/swagger")
def swagger(request: Request, actor: Actor | None = Depends(optional_actor)) -> Response:
    """Swagger UI: its script, styles and our starter all come from this site (the CSP
    allows nothing else); the document is /api/openapi.json."""
    return web(request).renderer.page(request, "swagger.html", {})


@router.get("/api/swagger/{name}")
def swagger_file(name: str) -> Response:
    if name not in SWAGGER_FILES:
        raise HTTPException(404, detail="no such Swagger UI file")
    return FileResponse(
        swagger_dir() / name,
        media_type=SWAGGER_FILES[name],
        headers={"Cache-Control": "public, max-age=86400"},
    )
