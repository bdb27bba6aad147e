"""docker-compose.yml against the Compose Specification's JSON Schema, and its commands and
variables against what transync really has (there is no Docker engine to run it here)."""

from __future__ import annotations

import dataclasses
import json
import re

import click
import pytest
import yaml

from sync.config import Settings, env_name
from tests.conftest import ROOT

SCHEMA = ROOT.parent / "shared" / "schemas" / "compose-spec.json"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_validates_against_compose_spec(compose: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.is_file():
        pytest.skip(f"{SCHEMA} is not here (it comes from shared/)")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(compose)


def test_services_present(compose: dict) -> None:
    assert {"postgres", "redis", "migrate", "web", "worker", "beat", "flower"} <= set(
        compose["services"]
    )
    assert compose["services"]["beat"]["deploy"]["replicas"] == 1
    assert {"pgdata", "content", "locales"} <= set(compose["volumes"])


def test_every_transync_command_exists(compose: dict) -> None:
    import importlib

    from sync.cli import COMMAND_MODULES, cli

    for module in COMMAND_MODULES:
        importlib.import_module(f"sync.cli.{module}")
    for name, service in compose["services"].items():
        cmd = service.get("command")
        if not cmd or cmd[0] != "transync":
            continue
        ctx = click.Context(cli)
        sub = cli.get_command(ctx, cmd[1])
        assert sub is not None, f"{name}: transync {cmd[1]} is not a command"
        sub.make_context(cmd[1], list(cmd[2:]), parent=ctx)  # parses the flags, or raises


def test_every_variable_is_read_by_transync(compose: dict) -> None:
    known = {env_name(f.name) for f in dataclasses.fields(Settings)}
    env = compose["x-transync-env"]
    assert set(env) <= known, set(env) - known
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for var in re.findall(r"\bTRANSYNC_[A-Z_]+\b", text):
        assert var in known, var


def test_dockerfile_runs_as_non_root() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")


def test_lazy_command_map_matches_what_modules_register() -> None:
    """`transync X` imports only X's module: the name → module map must be complete and
    right, or a command would vanish from the CLI."""
    import importlib

    from sync.cli import COMMANDS, cli

    for module, names in COMMANDS.items():
        mod = importlib.import_module(f"sync.cli.{module}")
        registered = {
            name
            for name, cmd in cli.commands.items()
            if cmd.callback is not None and cmd.callback.__module__ == mod.__name__
        }
        assert registered == set(names), (module, registered ^ set(names))
    assert set(cli.commands) == {n for names in COMMANDS.values() for n in names}
