"""Web commands: serve (the dashboard and JSON API), users add / edit / passwd / list."""

from __future__ import annotations

import sys
from typing import Any

import click

from sync.cli import Context, cli, err, out, pass_ctx, print_json
from sync.db.session import transaction
from sync.people import (
    DIGESTS,
    ROLES,
    create_user,
    edit_user,
    get_user,
    issue_token,
    list_users,
    set_password,
    user_dict,
)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--proxy-headers",
    is_flag=True,
    help="Trust X-Forwarded-* from --forwarded-allow-ips (behind a reverse proxy).",
)
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes (each one serves pages and the API).",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="A line per request on standard output (behind a proxy that logs "
    "requests, turn it off: it is written from the event loop).",
)
@pass_ctx
def serve(
    ctx: Context,
    host: str,
    port: int,
    proxy_headers: bool,
    forwarded_allow_ips: str,
    workers: int,
    access_log: bool,
) -> None:
    """Serve the web dashboard and the JSON API (docs at /api/docs).

    Sessions are signed with TRANSYNC_SECRET_KEY; cookies are Secure when
    TRANSYNC_SECURE_COOKIES=true (serve over HTTPS then)."""
    import uvicorn

    from sync.web import create_app

    settings = ctx.settings
    if not settings.secret_key:
        err.print(
            "warning: TRANSYNC_SECRET_KEY is not set; logins end when the server stops",
            markup=False,
        )
    out.print(f"transync web on http://{host}:{port}/ (API docs: /api/docs)", markup=False)
    if workers > 1:
        # each process builds the app from the environment: hand it our settings that way,
        # with one session secret for all of them
        import os
        import secrets

        os.environ.update(worker_environment(settings))
        os.environ["TRANSYNC_SECRET_KEY"] = settings.secret_key or secrets.token_urlsafe(32)
        os.environ["TRANSYNC_SERVE_WORKERS"] = str(workers)  # they share the cores
        uvicorn.run(
            "sync.web.app:app_from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            proxy_headers=proxy_headers,
            forwarded_allow_ips=forwarded_allow_ips,
            log_level="info",
            access_log=access_log,
        )
        return
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level="info",
        access_log=access_log,
    )


@cli.group()
def users() -> None:
    """Accounts for the web and the API: admins, editors and translators."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="translator", show_default=True)
@click.option("--langs", default="", help="Languages they translate into, e.g. tr,ru.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def users_add(ctx: Context, name: str, role: str, langs: str, as_json: bool) -> None:
    """Add a new user and print their one-time API token. A name that exists (even
    deactivated) is an error: change a user with `transync users edit NAME`."""
    settings = ctx.settings
    with transaction(settings.database_url) as session:
        user, token = create_user(
            session, settings, name, role=role, langs=_langs(langs), with_token=True
        )
        data = user_dict(user)
    if as_json:
        print_json({**data, "token": token})
        return
    out.print(
        f"{data['role']} {name}" + (f": {', '.join(data['langs'])}" if data["langs"] else ""),
        markup=False,
    )
    out.print(f"API token (shown once, keep it secret): {token}", markup=False)
    out.print(f"set a web password with: transync users passwd {name}", markup=False)


def _langs(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


@users.command("edit")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default=None, help="A new role.")
@click.option(
    "--langs",
    default=None,
    help="Their languages, replacing the ones they have (e.g. tr,ru; '' for none).",
)
@click.option(
    "--active/--inactive",
    default=None,
    help="Bring back, or deactivate (sessions and token end at once).",
)
@click.option(
    "--new-token",
    is_flag=True,
    help="Make a new API token and print it once (the old one stops working).",
)
@click.option(
    "--email", default=None, help="Where their mail goes ('' for none): digests and notifications."
)
@click.option(
    "--digest",
    type=click.Choice(DIGESTS),
    default=None,
    help="How often they get mail: off, daily (at TRANSYNC_DIGEST_HOUR) or immediate.",
)
@click.option(
    "--ui-lang",
    default=None,
    help="Their interface and mail language: en, tr or ru ('' for the browser's).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def users_edit(
    ctx: Context,
    name: str,
    role: str | None,
    langs: str | None,
    active: bool | None,
    new_token: bool,
    email: str | None,
    digest: str | None,
    ui_lang: str | None,
    as_json: bool,
) -> None:
    """Change an existing user: only what is given changes. A new role or deactivation
    signs them out of every web session; the last active admin can be neither demoted nor
    deactivated."""
    settings = ctx.settings
    if (
        role is None
        and langs is None
        and active is None
        and not new_token
        and email is None
        and digest is None
        and ui_lang is None
    ):
        raise click.UsageError(
            "nothing to change: give --role, --langs, --active/--inactive, "
            "--new-token, --email, --digest or --ui-lang"
        )
    with transaction(settings.database_url) as session:
        user = edit_user(
            session,
            settings,
            name,
            role=role,
            langs=_langs(langs) if langs is not None else None,
            active=active,
            email=email,
            digest=digest,
            ui_lang=ui_lang,
        )
        if new_token and not user.active:
            raise click.UsageError(
                f"{name} is deactivated: a token would not work; add --active to bring them back"
            )
        token = issue_token(user) if new_token else None
        data = user_dict(user)
    if as_json:
        print_json({**data, **({"token": token} if token else {})})
        return
    state = "" if data["active"] else " (deactivated)"
    out.print(f"{data['role']} {name}{state}: {', '.join(data['langs']) or '-'}", markup=False)
    if data["email"]:
        out.print(f"mail to {data['email']}: {data['digest']}", markup=False)
    if token:
        out.print(f"API token (shown once, keep it secret): {token}", markup=False)


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def users_passwd(ctx: Context, name: str, password_stdin: bool) -> None:
    """Set NAME's password for the web login (asks twice); their role stays, and every web
    session of theirs ends."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("new password", hide_input=True, confirmation_prompt=True)
    settings = ctx.settings
    with transaction(settings.database_url) as session:
        set_password(get_user(session, name), password)
    out.print(f"password set for {name}", markup=False)


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def users_list(ctx: Context, as_json: bool) -> None:
    """Everyone, with role and languages (never a token or a hash)."""
    settings = ctx.settings
    with transaction(settings.database_url) as session:
        people = [
            {**user_dict(u), "password": bool(u.password_hash), "token": bool(u.token_hash)}
            for u in list_users(session)
        ]
    if as_json:
        print_json(
            {
                "users": [
                    {k: v for k, v in p.items() if k not in ("password", "token")} for p in people
                ]
            }
        )
        return
    for p in people:
        flags = [x for x in ("password", "token") if p[x]]
        state = "" if p["active"] else " (deactivated)"
        out.print(
            f"{p['name']} ({p['role']}){state}: {', '.join(p['langs']) or '-'}"
            f"  [{', '.join(flags) or 'no login'}]",
            markup=False,
        )


def worker_environment(settings: Any) -> dict[str, str]:
    """The settings each server process builds its app from, as TRANSYNC_* variables: those
    given (flags, variables, transync.toml), never the defaults, so a default stays a
    default there too (a Hugo site's defaultContentLanguage may then say the source
    language, as it does in a scan from the command line).

    >>> from pathlib import Path
    >>> from sync.config import load_settings
    >>> none = Path("/nonexistent/transync.toml")
    >>> s = load_settings(environ={"TRANSYNC_LANGUAGES": "en,tr"}, config_file=none)
    >>> sorted(worker_environment(s))
    ['TRANSYNC_LANGUAGES']
    """
    from sync.config import FIELDS, env_name

    out = {}
    for f in FIELDS.values():
        if f.name not in settings.given:
            continue
        value = getattr(settings, f.name)
        if isinstance(value, tuple):
            value = ",".join(value)
        out[env_name(f.name)] = str(value).lower() if isinstance(value, bool) else str(value)
    return out
