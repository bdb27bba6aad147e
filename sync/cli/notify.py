"""Notification commands: `transync webhooks add/list/remove/enable/log` and `transync
notify` (one tick now: fan out, publish due deliveries, send due mail)."""

from __future__ import annotations

import click

from sync.cli import Context, cli, out, pass_ctx, print_json
from sync.db.session import transaction
from sync.i18n import nt_


@cli.group()
def webhooks() -> None:
    """Endpoints that receive signed events (Standard Webhooks), and their delivery log."""


@webhooks.command("add")
@click.argument("url")
@click.option(
    "--events",
    required=True,
    help="Comma-separated event types (task.queued,task.submitted,…) or * for all.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def webhooks_add(ctx: Context, url: str, events: str, as_json: bool) -> None:
    """Add an endpoint and print its signing secret, shown this once."""
    from sync.notify.webhooks import add_webhook, webhook_dict

    settings = ctx.settings
    with transaction(settings.database_url) as session:
        hook, secret = add_webhook(session, url, events, actor="cli")
        data = webhook_dict(hook)
    if as_json:
        print_json({**data, "secret": secret})
        return
    out.print(f"webhook #{data['id']}: {data['url']}", markup=False)
    out.print(f"events: {', '.join(data['events'])}", markup=False)
    out.print(f"signing secret (shown once, keep it secret): {secret}", markup=False)


@webhooks.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def webhooks_list(ctx: Context, as_json: bool) -> None:
    """Every endpoint with its events, state and deliveries (never a secret)."""
    from sync.notify.webhooks import list_webhooks

    with transaction(ctx.settings.database_url, readonly=True) as session:
        hooks = list_webhooks(session)
    if as_json:
        print_json({"webhooks": hooks})
        return
    if not hooks:
        out.print("no webhooks; add one with `transync webhooks add URL --events …`", markup=False)
    for h in hooks:
        state = "active" if h["active"] else f"disabled ({h['disabled_reason']})"
        counts = ", ".join(f"{k} {v}" for k, v in sorted(h["deliveries"].items())) or "none"
        out.print(f"#{h['id']} {h['url']}  [{state}]", markup=False)
        out.print(f"    events: {', '.join(h['events'])}; deliveries: {counts}", markup=False)


@webhooks.command("remove")
@click.argument("webhook_id", type=int)
@pass_ctx
def webhooks_remove(ctx: Context, webhook_id: int) -> None:
    """Stop sending to an endpoint; its waiting deliveries are cancelled, its log kept."""
    from sync.notify.webhooks import remove_webhook

    with transaction(ctx.settings.database_url) as session:
        remove_webhook(session, webhook_id)
    out.print(f"webhook #{webhook_id} removed", markup=False)


@webhooks.command("enable")
@click.argument("webhook_id", type=int)
@pass_ctx
def webhooks_enable(ctx: Context, webhook_id: int) -> None:
    """Bring back an endpoint that was disabled after failing for days."""
    from sync.notify.webhooks import enable_webhook

    with transaction(ctx.settings.database_url) as session:
        _, missed = enable_webhook(session, ctx.settings, webhook_id)
    out.print(
        nt_(
            "webhook #%(id)d enabled: %(n)d event from while it was disabled and the waiting "
            "deliveries go out with the next tick",
            "webhook #%(id)d enabled: %(n)d events from while it was disabled and the waiting "
            "deliveries go out with the next tick",
            missed,
            id=webhook_id,
            n=missed,
        ),
        markup=False,
    )


@webhooks.command("log")
@click.argument("webhook_id", type=int, required=False)
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def webhooks_log(ctx: Context, webhook_id: int | None, limit: int, as_json: bool) -> None:
    """Delivery attempts, newest first: the event, the answer, latency and the next try."""
    from sync.notify.webhooks import delivery_log

    with transaction(ctx.settings.database_url, readonly=True) as session:
        rows = delivery_log(session, webhook_id, limit=limit)
    if as_json:
        print_json({"attempts": rows})
        return
    for r in rows:
        answer = f"HTTP {r['status']}" if r["status"] else (r["error"] or "")
        nxt = f", next {r['next_attempt_at']}" if r["next_attempt_at"] else ""
        out.print(
            f"{r['at']}  #{r['webhook']} {r['webhook_id']} {r['event']} attempt "
            f"{r['attempt']}: {r['result']} ({answer}, {r['latency_ms']:.0f} ms{nxt})",
            markup=False,
        )


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def notify(ctx: Context, as_json: bool) -> None:
    """Run one notify tick now: fan out waiting events, publish due webhook deliveries
    (a worker sends them), warn of ending leases and send due mail."""
    from sync.notify import tick

    result = tick(ctx.settings)
    if as_json:
        print_json(result)
        return
    f = result["fanout"]
    out.print(
        f"{f['events']} events: {f['notifications']} notifications, "
        f"{f['deliveries']} deliveries, {f['mail_items']} mail items; "
        f"{result['published']} delivery messages published; mail {result['mail']}",
        markup=False,
    )
