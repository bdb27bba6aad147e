"""What the browser editor answers when a save or a submission finds the task no longer
the translator's (the lease ran out and `transync expire` ran, an editor reassigned or
cancelled it): the typed text back, with what happened and what to do, never only a flash
over a page the translator may not see any more."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response

from sync.db.session import transaction
from sync.errors import NotFound
from sync.queue import get_task, state_text
from sync.web.api_tasks import may_see
from sync.web.auth import Actor
from sync.web.i18n import _, language_name, localized
from sync.web.state import web

STATUS = 409  # the request was fine; the task changed under it


def give_back(
    request: Request,
    actor: Actor,
    task_id: int,
    typed: dict[int, str],
    *,
    submit: bool,
    render_task: Callable[..., Response],
) -> Response:
    """The task page (``render_task``, the editor's own) with `typed` on it, when the
    translator may still see the task; else a page of its own with the typed text beside
    each segment's source."""
    from sync.taskview import task_detail

    settings = web(request).settings
    try:
        with transaction(settings.database_url) as session:
            task, key = get_task(session, task_id)
            segments = task_detail(session, settings, task_id)["segments"]
    except NotFound:
        task, key, segments = None, "", []
    why = reason(task_id, task, actor)
    head = (
        _("Your translation was not submitted: %(why)s")
        if submit
        else _("Your text was not saved: %(why)s")
    ) % {"why": why}
    if task is not None and task.state == "queued":
        todo = _(
            "To go on, claim a task in %(lang)s again from My tasks (it may be another one "
            "if someone took this one meanwhile). Copy your text below first."
        ) % {"lang": language_name(task.lang)}
    else:
        todo = _("Your text is below: copy it to keep it, and ask an editor how to go on.")
    if task is not None and may_see(actor, task):
        return render_task(
            request, actor, task_id, entered=typed, errors=[head, todo], status_code=STATUS
        )
    sources = {s["position"]: s["source"] for s in segments}
    return web(request).renderer.page(
        request,
        "lost.html",
        {
            "task_id": task_id,
            "post": key,
            "lang": task.lang if task is not None else None,
            "errors": [head, todo],
            "typed": [(pos, sources.get(pos), typed[pos]) for pos in sorted(typed)],
        },
        status_code=STATUS,
    )


def reason(task_id: int, task: object | None, actor: Actor) -> str:
    """What happened to the task, in the UI language."""
    if task is None:
        return _("task #%(id)d no longer exists.") % {"id": task_id}
    state, assignee = getattr(task, "state", ""), getattr(task, "assignee", None)
    if state == "queued":
        return _(
            "task #%(id)d went back to the queue (its lease ran out, or it was given back)."
        ) % {"id": task_id}
    if state == "claimed" and assignee != actor.name:
        return _("task #%(id)d is now assigned to %(name)s.") % {"id": task_id, "name": assignee}
    if state == "cancelled":
        return _("task #%(id)d was cancelled by an editor.") % {"id": task_id}
    return _("task #%(id)d is %(state)s now, no longer yours to edit.") % {
        "id": task_id,
        "state": localized(state_text(state)),
    }
