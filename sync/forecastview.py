"""The forecast as a reader sees it: dates in their language, and a digest's burn-downs
drawn as SVG (sync.charts) with translated labels. Shared by the web's forecast page and
the digest mail (sync.notify.mail), so the mail needs nothing of the web.

No web framework and no database: the language is the one current in this context
(sync.locales).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_date
from markupsafe import Markup

from sync import locales as i18n
from sync.charts import burndown_svg
from sync.locales import _


def day(value: str | dt.date | None) -> str:
    """A date in the reader's language (``12 Dec 2026``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return format_date(value, "medium", locale=i18n.current())


def mail_view(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A digest's forecast (workload.digest_forecast) in the language being written: dates,
    the reason, and each burn-down as SVG (a mail has no style sheet: attributes only)."""
    out = []
    for f in entries:
        clear, early, late = f["clear"], f["early"], f["late"]
        name = i18n.language_name(f["lang"])
        chart = burndown_svg(
            f["history"],
            today=f["today"],
            pending=f["pending_words"],
            clear=clear,
            early=early,
            late=late,
            width=440,
            height=150,
            label=_("Words pending in %(lang)s, last %(days)d days")
            % {"lang": name, "days": len(f["history"])},
            forecast_label=_("Forecast: clears on %(date)s") % {"date": day(clear)},
            range_label=_("Range: %(early)s to %(late)s")
            % {"early": day(early), "late": day(late) if late else _("beyond 10 years")},
        )
        out.append(
            {
                **f,
                "name": name,
                "clear_text": day(clear),
                "early_text": day(early),
                "late_text": day(late) if late else None,
                "note_text": i18n.localized(f["note"]) if f["note"] else "",
                "chart": Markup(chart),
            }
        )
    return out
