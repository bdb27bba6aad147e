"""Write-back to WordPress (Polylang Pro only): find or create the translation post,
refuse to overwrite one edited in WordPress since the last scan, and record what was written.

A new translation is a draft (unless TRANSYNC_WP_PUBLISH) linked with ``translations``;
each attempt first looks for the post an earlier attempt may have made, so a retry after a
timeout never creates a second post. WPML's and WP REST - Polylang's REST fields cannot
link translations: write-back says so and writes nothing.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from typing import Any

from sync.errors import ConflictError, SourceError
from sync.sources.base import Document, Problem, WriteConflict, dropped_detail, drops_why
from sync.sources.wordpress.posts import (
    EDIT_STATUSES,
    PUBLISHED,
    _language_code,
    _plugin,
    _Posts,
)
from sync.sources.wordpress.rest import (
    CREDENTIALS_HINT,
    PER_PAGE,
    _int,
    _json,
    _MaybeApplied,
    _RestClient,
)
from sync.sources.wpcommon import is_post_id as _is_id

log = logging.getLogger("sync.sources.wordpress")  # the name logs had before the split


class _EditedInWordPress(Exception):  # noqa: N818 - a signal, not an error for users
    """The translation post is not what the last scan recorded: nothing may be written."""

    def __init__(self, post: dict[str, Any], reason: str, why: str) -> None:
        super().__init__(why)
        self.post, self.reason, self.why = post, reason, why


class _WriteBack(_Posts, _RestClient):
    """The writing half of WordPressSite."""

    # set by WordPressSite.__init__
    settings: Any
    force: bool

    # -- writing ----------------------------------------------------------------------------

    def write_translation(
        self,
        session: Any,
        scan: Any,
        *,
        src: Any,
        key: str,
        lang: str,
        title: str,
        body: str,
        source_hash: str,
        source_texts: Sequence[str | None] | None = None,
        body_format: str = "html",
        force: bool = False,
    ) -> Any:
        """Create or update the `lang` translation of the source post, then record it; or,
        when the translation was edited in WordPress since the last scan (and ``force`` is
        not given), record that and return a WriteConflict, writing nothing.

        Polylang: ``lang`` and ``translations`` link it to the source; a new translation
        is a draft unless ``TRANSYNC_WP_PUBLISH``; an existing one keeps its status. Each
        attempt first looks for the translation (the source's ``translations`` map, the
        tracker's version, then the slug marker), so a retry never creates a second post; a
        translation in the trash is left there with its text, and a new draft takes its
        place in the group.
        """
        if not self.authenticated:
            raise ConflictError(
                f"writing a translation to {self.base} needs {CREDENTIALS_HINT}; "
                "nothing was written",
                key=key,
                lang=lang,
            )
        if not src.external_id or not str(src.external_id).isdigit():
            raise ConflictError(
                f"post {key!r}: the source version has no WordPress id; scan {self.uri} again",
                key=key,
            )
        if body_format == "markdown":
            from markdown_it import MarkdownIt

            body = MarkdownIt("commonmark").render(body)
        post_type = self._source_type(session, src)
        rest_base = self._rest_base(post_type)
        self.force = force
        if not force:
            dropped = self._dropped(session, scan, src, key, lang, body)
            if dropped is not None:
                return dropped
        try:
            with self._open():
                written = self._upsert(
                    scan,
                    src=src,
                    key=key,
                    lang=lang,
                    title=title,
                    body=body,
                    rest_base=rest_base,
                    source_texts=source_texts if body_format == "html" else None,
                )
        except _EditedInWordPress as edited:
            return self._conflict(session, scan, edited, key)
        doc = self._document(written, key, source_hash=source_hash)
        if not isinstance(doc, Document) or doc.lang != lang:
            why = (
                doc.reason
                if isinstance(doc, Problem)
                else f"WordPress reports its language as {doc.lang!r}; check TRANSYNC_WP_LOCALE_MAP"
                if isinstance(doc, Document)
                else "WordPress reports a language that is not configured; check "
                "TRANSYNC_WP_LOCALE_MAP"
            )
            raise ConflictError(
                f"the translation was written to {doc.origin} but cannot be recorded: {why}",
                key=key,
                lang=lang,
            )
        at_origin = next(
            (
                v
                for v in scan.snap.versions.values()
                if v.source == self.uri and v.origin == doc.origin
            ),
            None,
        )
        version = scan.stage(doc, at_origin, source_texts)
        scan.settle()
        scan.write()
        return version

    def _source_type(self, session: Any, src: Any) -> str:
        from sqlalchemy import select

        from sync.db.models import Version

        front = session.execute(select(Version.front_matter).where(Version.id == src.id)).scalar()
        return str((front or {}).get("type") or "post")

    def _upsert(
        self,
        scan: Any,
        *,
        src: Any,
        key: str,
        lang: str,
        title: str,
        body: str,
        rest_base: str,
        source_texts: Sequence[str | None] | None,
    ) -> dict[str, Any]:
        """Find-or-create, retried as a whole while a write may or may not have landed."""
        waited = 0.0
        for attempt in itertools.count():
            try:
                return self._upsert_once(
                    scan,
                    src=src,
                    key=key,
                    lang=lang,
                    title=title,
                    body=body,
                    rest_base=rest_base,
                    source_texts=source_texts,
                )
            except _MaybeApplied as exc:
                delay = self.backoff * 2**attempt
                if attempt + 1 >= self.max_attempts or waited + delay > self.max_wait:
                    raise SourceError(
                        f"{exc}; gave up after {attempt + 1} attempts. Whether "
                        "the translation reached WordPress is unknown; submitting "
                        "again is safe (the post is looked up before one is "
                        "created)",
                        key=key,
                        lang=lang,
                    ) from exc
                log.warning("%s; looking the translation up again in %.1f s", exc, delay)
                self.sleep(delay)
                waited += delay
        raise AssertionError("unreachable")  # pragma: no cover

    def _upsert_once(
        self,
        scan: Any,
        *,
        src: Any,
        key: str,
        lang: str,
        title: str,
        body: str,
        rest_base: str,
        source_texts: Sequence[str | None] | None,
    ) -> dict[str, Any]:
        src_id = int(src.external_id)
        source = self._get_post(rest_base, src_id)
        if source is None:
            raise ConflictError(
                f"post {key!r}: its source post {src_id} is gone from {self.base}; scan again",
                key=key,
            )
        if source_texts is not None:
            content = source.get("content")
            raw = content.get("raw") if isinstance(content, dict) else None
            body = _in_block_markup(body, str(raw or ""), source_texts)
        if "wpml_current_locale" in source or "wpml_translations" in source:
            raise ConflictError(
                f"{self.base} uses WPML, whose REST API cannot create or link "
                "translations: write-back is not available for WPML sites. "
                "Download the translation (PO or Markdown) and paste it into "
                "WordPress; the next scan records it",
                key=key,
                lang=lang,
            )
        group = source.get("translations")
        if not isinstance(group, dict) or not source.get("lang"):
            why = (
                "WP REST - Polylang's fields (polylang_current_lang) are read-only"
                if _plugin(source) == "community"
                else "it has no Polylang `lang` and `translations` fields"
            )
            raise ConflictError(
                f"post {src_id} on {self.base} cannot be linked to a "
                f"translation: {why}; write-back needs Polylang Pro's REST API. "
                "Download the translation (PO or Markdown) and paste it into "
                "WordPress; the next scan records it",
                key=key,
                lang=lang,
            )
        links = {str(k): int(v) for k, v in group.items() if _is_id(v)}
        code = self.wp_code(lang)
        marker = f"{source.get('slug') or f'transync-{src_id}'}-{code}"
        target = links.get(code)
        if target is not None:
            linked = self._get_post(rest_base, target)
            if linked is None or linked.get("status") == "trash":
                target = None  # gone, or in the trash: a new translation takes its place
        if target is None:
            known = scan.snap.versions.get((src.post_id, lang))
            if (
                known is not None
                and known.source == self.uri
                and not known.deleted
                and (str(known.external_id or "").isdigit())
            ):
                found = self._get_post(rest_base, int(known.external_id))
                if found is not None and found.get("status") != "trash":
                    target = int(known.external_id)
        if target is None:
            target = self._find_by_slug(rest_base, marker, code)
        elif not self.force:
            self._check_unchanged(scan, src, lang, rest_base, target, marker, title, body)
        others = {k: v for k, v in links.items() if k != code}
        payload: dict[str, Any] = {
            "title": _title_html(title, src.title),
            "content": body,
            "lang": code,
        }
        if target is None:
            payload.update(
                slug=marker,
                translations=others,
                status=PUBLISHED if self.settings.wp_publish else "draft",
            )
            written = self._write("POST", f"{self.base}/wp-json/wp/v2/{rest_base}", payload)
        else:
            payload["translations"] = {**others, code: target}
            if self.settings.wp_publish:
                payload["status"] = PUBLISHED
            written = self._write(
                "POST", f"{self.base}/wp-json/wp/v2/{rest_base}/{target}", payload
            )
        linked = written.get("translations")
        src_code = str(source["lang"])
        if not isinstance(linked, dict) or _int(linked.get(src_code), 0) != src_id:
            raise SourceError(
                f"{self.base} saved post {written.get('id')} but did not link it "
                f"to post {src_id} as its {code!r} translation; link them in "
                "WordPress (Polylang's languages box)",
                key=key,
                lang=lang,
            )
        return written

    def _check_unchanged(
        self,
        scan: Any,
        src: Any,
        lang: str,
        rest_base: str,
        target: int,
        marker: str,
        title: str,
        body: str,
    ) -> None:
        """Raise _EditedInWordPress when the translation post is not what the last scan
        recorded: edited in WordPress since (its ``modified_gmt`` moved and its title or
        content differ), or a linked translation transync never recorded and did not make
        (an earlier attempt's post carries the slug marker). A post that already holds the
        text being written loses nothing: an earlier attempt whose answer was lost."""
        from sqlalchemy import select

        from sync.db.models import Version
        from sync.htmlsegments import analyze_html

        found = self._get_post(rest_base, target)
        if found is None:
            return
        now = analyze_html(
            str((found.get("title") or {}).get("raw") or ""),
            str((found.get("content") or {}).get("raw") or ""),
        ).content_hash
        if now == analyze_html(title, body).content_hash:
            return
        known = scan.snap.versions.get((src.post_id, lang))
        if (
            known is None
            or known.deleted
            or known.source != self.uri
            or (str(known.external_id) != str(target))
        ):
            if str(found.get("slug") or "").startswith(marker):
                return  # made by an earlier attempt of this write-back
            raise _EditedInWordPress(
                found,
                "appeared",
                f"post {target} is linked as the {lang} translation but was never scanned",
            )
        front = (
            scan.session.execute(
                select(Version.front_matter).where(Version.id == known.id)
            ).scalar()
            or {}
        )
        if front.get("modified_gmt") and front.get("modified_gmt") == found.get("modified_gmt"):
            return
        if now != known.content_hash:
            raise _EditedInWordPress(
                found,
                "changed",
                f"post {target} was edited in "
                f"WordPress (modified {found.get('modified_gmt')}) since "
                "the last scan",
            )

    def _dropped(
        self, session: Any, scan: Any, src: Any, key: str, lang: str, body: str
    ) -> WriteConflict | None:
        """A ``drops`` conflict when the translation in WordPress has blocks the written body
        would lose and the task never showed (an editor's note added in WordPress, its own
        form of a code block), as the content tree's write-back refuses it; None when
        nothing would be lost (or there is no translation yet)."""
        from sync.db.models import revision_body  # the database layer: only here
        from sync.htmlsegments import html_body_blocks
        from sync.segments.loss import dropped_blocks

        existing = scan.snap.versions.get((scan.snap.posts[key], lang))
        if existing is None or existing.deleted or existing.source != self.uri:
            return None
        now = revision_body(session, existing.id, existing.revision)
        made_from = revision_body(session, src.id, existing.based_on_revision or src.revision)
        if now is None:
            return None
        lost = dropped_blocks(now, body, made_from or "", blocks=html_body_blocks)
        if not lost:
            return None
        why = drops_why(existing.origin, dropped_detail(lost))
        return WriteConflict(
            reason="drops",
            message=f"{why}; nothing was written: the task is in conflict until an editor "
            "keeps the submitted translation or what is in WordPress",
            path=existing.origin,
        )

    def _conflict(self, session: Any, scan: Any, edited: _EditedInWordPress, key: str) -> Any:
        """Record the post as WordPress has it now and say why nothing was written."""
        doc = self._document(edited.post, key)
        if isinstance(doc, Document):
            at_origin = next(
                (
                    v
                    for v in scan.snap.versions.values()
                    if v.source == self.uri and v.origin == doc.origin
                ),
                None,
            )
            scan.stage(doc, at_origin)
            scan.settle()
            scan.write()
        origin = doc.origin
        return WriteConflict(
            reason=edited.reason,
            path=origin,
            message=f"{edited.why}; nothing was written: the task is in conflict until an "
            "editor keeps the submitted translation or what is in WordPress",
        )

    def _get_post(self, rest_base: str, post_id: int) -> dict[str, Any] | None:
        """One post in edit context, or None if WordPress has no such post."""
        url = f"{self.base}/wp-json/wp/v2/{rest_base}/{post_id}"
        response = self._request("GET", url, params={"context": "edit"}, allow=(404, 410))
        if response.status_code in (404, 410):
            return None
        found = _json(response, url)
        return found if isinstance(found, dict) else None

    def _find_by_slug(self, rest_base: str, slug: str, code: str) -> int | None:
        """A post an earlier attempt created, found by its slug marker (not yet linked)."""
        url = f"{self.base}/wp-json/wp/v2/{rest_base}"
        params = {
            "slug": slug,
            "context": "edit",
            "lang": code,
            "per_page": PER_PAGE,
            "status": ",".join(s for s in EDIT_STATUSES if s != "trash"),
        }
        found = _json(self._request("GET", url, params=params), url)
        for item in found if isinstance(found, list) else ():
            item_code = _language_code(item) if isinstance(item, dict) else None
            if item_code in (None, "", code) and _is_id(item.get("id")):
                return int(item["id"])
        return None

    def _write(self, method: str, url: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = self._request(method, url, json_body=payload, idempotent=False)
        written = _json(response, url)
        if not isinstance(written, dict) or not _is_id(written.get("id")):
            raise SourceError(
                f"WordPress at {self.base}: {method} {url} did not answer with the saved post",
                url=url,
            )
        return written


def _in_block_markup(body: str, raw: str, source_texts: Sequence[str | None]) -> str:
    """The translation put into the source post's block markup (``raw``, its content.raw)
    when it was rendered into HTML without block comments: a source last revised by a read
    without credentials has content.rendered as its stored body, and a later read with
    them finds the same segments, so no new revision replaces it. Written as it is, the
    translation would lose every block (the block editor shows one Classic block; dynamic
    blocks stay frozen as the HTML a visitor got). Only when the raw content has exactly
    the segments the translation was made for; otherwise the body is left as it is.

    >>> raw = "<!-- wp:paragraph -->\\n<p>Tea.</p>\\n<!-- /wp:paragraph -->"
    >>> _in_block_markup("<p>Çay.</p>", raw, ["Tea", "Tea."])
    '<!-- wp:paragraph -->\\n<p>Çay.</p>\\n<!-- /wp:paragraph -->'
    """
    from sync.htmlsegments import analyze_html, render_html
    from sync.htmlsegments.analysis import _BLOCK_COMMENT

    if _BLOCK_COMMENT.search(body) or not _BLOCK_COMMENT.search(raw):
        return body
    expected = [s.text for s in analyze_html("", raw).segments]
    heads = len(source_texts) - len(expected)  # the title, when the source has one
    if heads not in (0, 1) or list(source_texts[heads:]) != expected:
        return body
    translations = [s.text for s in analyze_html("", body).segments]
    if len(translations) != len(expected):
        return body
    try:
        return render_html(raw, translations)
    except ValueError:
        return body


def _title_html(title: str, source_title: str) -> str:
    """A translated title as WordPress keeps titles: HTML. The title segment is text (its
    entities decoded), so a ``<`` the translator wrote is text too, escaped, unless the
    source's own title is written with markup (``<em>``), whose translation keeps it: a
    title ``Using the &lt;template&gt; tag`` came back as a real ``<template>`` element,
    which hides the title and what follows it.

    >>> _title_html("<template> etiketi & kullanımı", "Using the &lt;template&gt; tag")
    '&lt;template&gt; etiketi & kullanımı'
    >>> _title_html("<em>Yeni</em> liman", "The <em>new</em> port")
    '<em>Yeni</em> liman'
    """
    if "<" in source_title:
        return title
    return title.replace("<", "&lt;").replace(">", "&gt;")
