"""The WordPress source: ``wp:URL`` read through the REST API, with Polylang or WPML.

Reading. Posts and pages (``TRANSYNC_WP_POST_TYPES``) are listed from
``/wp-json/wp/v2/<type>``, 100 a page, following ``X-WP-TotalPages``. Most scans are
incremental: ``orderby=modified&order=asc&modified_after=<cursor>`` asks only for what
changed, so versions not mentioned are kept and a trashed post is reported as deleted.
Every ``TRANSYNC_WP_RECONCILE_HOURS`` (and on the first scan) a full pass lists every
post in id order; only a full pass can notice a post deleted for good, so only it is
``complete``.

The cursor is the server's clock (the ``Date`` header) when the previous read began, and
each read asks from one minute before it, so a save in flight or in the same second is not
lost; what is read twice hashes as unchanged. A listing that moves under the reader (an
id seen twice, ``X-WP-Total`` changing between pages) keeps the old cursor and does not
count as a reconciliation, so nothing skipped by the shift is lost.

With ``TRANSYNC_WP_USER`` and ``TRANSYNC_WP_APP_PASSWORD`` (an application password)
the listing uses ``context=edit`` and every status: ``content.raw`` is read, drafts,
pending, scheduled and private posts are tracked as drafts, trashed ones as deleted.
Without them only published posts are seen and ``content.rendered`` is read; markup that
WordPress adds by itself is normalized away by the HTML segmenter.

Languages and keys. Polylang Pro gives ``lang`` and ``translations`` (language → id,
the post included); WPML's REST add-on gives ``wpml_current_locale`` and
``wpml_translations``, which leave out the post itself and every unpublished
translation, so a translation absent from a list is not missing: it may be a draft.
The community "WP REST - Polylang" plugin gives ``polylang_current_lang`` (a locale) and
``polylang_translations`` (``[{locale, id}]``, the post left out), read like Polylang Pro's.
WPML lists only one language at a time, so each configured language is also listed with
``lang=<code>``. A post with no language takes ``TRANSYNC_WP_DEFAULT_LANG`` when it is
set (a site in one language); a site whose REST API carries no language field at all (free
Polylang publishes none) is reported once, by URL, with what to install, and nothing of
it is applied. Posts that name each other form one translation group. A group's post
key is the key the tracker already holds for one of its posts (the one most of them
hold); a new group gets ``wp-<lowest post id in the group>``. So a key never changes when
a translation is added or a post is published later.

Write-back (Polylang Pro only) creates the translation as a draft, linked with
``translations``, or updates the linked one; it looks for an earlier attempt's post
before it creates one, so a retry after a timeout never creates a second post.

Credentials are sent only as a Basic ``Authorization`` header; they never appear in the
source URI, a log line, an error or a repr.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import itertools
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from sync import __version__
from sync.errors import ConfigError, ConflictError, SourceError
from sync.sources.base import Deleted, Document, Problem, Unchanged, WriteConflict
from sync.sources.wpcommon import check_default_lang, parse_locale_map
from sync.sources.wpcommon import is_post_id as _is_id
from sync.text import sha256_hex

__all__ = ["WordPressSite"]

log = logging.getLogger(__name__)

PER_PAGE = 100
#: Each incremental read asks from this long before the cursor (saves in flight, same second).
CURSOR_OVERLAP = dt.timedelta(seconds=60)
PUBLISHED = "publish"
#: Every status worth tracking, asked for explicitly: ``status=any`` leaves out ``trash``.
EDIT_STATUSES = ("publish", "future", "draft", "pending", "private", "trash")
#: Not posts of their own: never yielded.
SKIPPED_STATUSES = frozenset({"auto-draft", "inherit"})
REST_BASES = {"post": "posts", "page": "pages"}
FIELDS = (
    "id,date_gmt,modified_gmt,slug,status,type,link,title,content,"
    "lang,translations,wpml_current_locale,wpml_translations,"
    "polylang_current_lang,polylang_translations"
)
#: Which plugin's REST fields a post carries: the first plugin with a field present.
PLUGIN_FIELDS = (
    ("wpml", ("wpml_current_locale", "wpml_translations")),
    ("polylang", ("lang", "translations")),
    ("community", ("polylang_current_lang", "polylang_translations")),
)
PLUGINS = tuple(name for name, _ in PLUGIN_FIELDS)
NO_LANGUAGES_HINT = (
    "install Polylang Pro, WPML with its REST API add-on (wpml-rest-api) or the WP REST - "
    "Polylang plugin; or scan an export of the site instead (Tools → Export, then "
    "wxr:FILE), which carries the languages of free Polylang and WPML too; for a site in "
    "one language, set TRANSYNC_WP_DEFAULT_LANG"
)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CREDENTIALS_HINT = (
    "TRANSYNC_WP_USER and TRANSYNC_WP_APP_PASSWORD (an application password from "
    "Users → Profile → Application Passwords, not the login password)"
)


class _MaybeApplied(SourceError):
    """A write may or may not have reached WordPress (timeout, dropped connection, 5xx)."""


class _EditedInWordPress(Exception):  # noqa: N818 - a signal, not an error for users
    """The translation post is not what the last scan recorded: nothing may be written."""

    def __init__(self, post: dict[str, Any], reason: str, why: str) -> None:
        super().__init__(why)
        self.post, self.reason, self.why = post, reason, why


@dataclass
class _Listing:
    """What one read collected: posts by id, and whether the listing held still."""

    posts: dict[int, dict[str, Any]] = field(default_factory=dict)
    consistent: bool = True
    started: dt.datetime | None = None  # the server's clock at the first answer
    plugin: str | None = None


class WordPressSite:
    """Reads ``wp:URL`` through the REST API and writes translations back to it."""

    #: Seams for tests and tuning: timeouts, the retry budget and how to wait.
    timeout = httpx.Timeout(30.0, connect=10.0)
    max_attempts = 6
    max_wait = 120.0  # seconds of backoff in total, per request
    backoff = 1.0  # first wait without Retry-After; doubles each attempt
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(self, url: str, settings: Any) -> None:
        self.settings = settings
        self.base = _site_url(url)
        self.uri = f"wp:{self.base}"
        self.user: str = settings.wp_user or ""
        self._password: str = settings.wp_app_password or ""
        self.locale_map = parse_locale_map(settings.wp_locale_map or "")
        self.languages: tuple[str, ...] = tuple(settings.languages)
        self.default_lang: str = getattr(settings, "wp_default_lang", "") or ""
        self.complete = False
        self.force = False  # write-back: an editor chose the submission over WordPress
        # state kept in SourceState, loaded and saved around a scan
        self._cursor: dt.datetime | None = None
        self._reconciled_at: dt.datetime | None = None
        self._plugin: str | None = None
        self._keys: dict[int, str] = {}  # WordPress id -> post key the tracker holds
        self._origins: dict[int, str] = {}  # WordPress id -> origin the tracker holds
        self._result: tuple[_Listing, bool] | None = None
        self._rest_bases: dict[str, str] = dict(REST_BASES)
        self._client: httpx.Client | None = None

    def __repr__(self) -> str:
        who = f", user={self.user!r}" if self.user else ""
        return f"WordPressSite({self.uri!r}{who})"

    @property
    def authenticated(self) -> bool:
        return bool(self.user and self._password)

    def check(self) -> None:
        """The settings this source needs, checked before anything is read."""
        if bool(self.user) != bool(self._password):
            missing = "TRANSYNC_WP_APP_PASSWORD" if self.user else "TRANSYNC_WP_USER"
            raise ConfigError(f"{missing} is empty; set both {CREDENTIALS_HINT}, or neither "
                              f"to read {self.base} as a visitor (published posts only)")
        if not self.settings.wp_post_types:
            raise ConfigError("TRANSYNC_WP_POST_TYPES is empty; list the post types to "
                              "track, e.g. post,page")
        check_default_lang(self.default_lang, self.languages)

    # -- state ------------------------------------------------------------------------------

    def load_state(self, session: Any) -> None:
        """The cursor, the last reconciliation, and the keys and origins the tracker holds."""
        from sqlalchemy import select

        from sync.db.models import Post, SourceState, Version

        state = session.get(SourceState, self.uri)
        if state is not None:
            self._reconciled_at = state.reconciled_at
            self._cursor, self._plugin = _parse_cursor(state.cursor)
        rows = session.execute(
            select(Version.external_id, Version.origin, Post.key)
            .join(Post, Post.id == Version.post_id)
            .where(Version.source == self.uri, Version.external_id.is_not(None))
        )
        for external_id, origin, key in rows:
            if external_id and external_id.isdigit():
                self._keys[int(external_id)] = key
                self._origins[int(external_id)] = origin

    def save_state(self, session: Any) -> None:
        """Move the cursor (and the reconciliation time) only after a read that held still."""
        from sync.db.models import SourceState, utcnow

        if self._result is None:
            return
        listing, full = self._result
        if not listing.consistent:
            log.info("%s: the listing changed while it was read; the cursor stays", self.uri)
            return
        state = session.get(SourceState, self.uri)
        if state is None:
            state = SourceState(source=self.uri, scans=0)
            session.add(state)
        cursor = listing.started or self._cursor
        state.cursor = _format_cursor(cursor, listing.plugin or self._plugin)
        if full:
            state.reconciled_at = utcnow()
        session.flush()

    def _full_pass_due(self) -> bool:
        if self._cursor is None or self._reconciled_at is None:
            return True
        hours = float(self.settings.wp_reconcile_hours)
        age = dt.datetime.now(dt.UTC) - self._reconciled_at
        return age >= dt.timedelta(hours=hours)

    # -- reading ----------------------------------------------------------------------------

    def read(self, known: Mapping[str, str]) -> Iterator[Document | Problem | Unchanged | Deleted]:
        """Every post that changed (or every post, on a full pass), grouped into posts."""
        self.complete = False
        self._result = None
        full = self._full_pass_due()
        listing = _Listing(plugin=self._plugin)
        with self._open():
            for post_type in self.settings.wp_post_types:
                rest_base = self._rest_base(post_type)
                self._list_all(rest_base, full, listing)
        if listing.started is None:  # no Date header: the latest modification seen
            times = [_gmt(p.get("modified_gmt")) for p in listing.posts.values()]
            listing.started = max((t for t in times if t is not None), default=None)
        if listing.plugin is None and not self.default_lang and any(
                str(p.get("status") or "") not in SKIPPED_STATUSES | {"trash"}
                for p in listing.posts.values()):
            listed = f"{self.base}/wp-json/wp/v2/{self._rest_base(self.settings.wp_post_types[0])}"
            yield Problem(origin=listed, fatal=True, reason=(
                f"the REST API of {self.base} gives no post a language: none of the fields "
                "of Polylang Pro (lang, translations), WPML's REST add-on "
                "(wpml_current_locale, wpml_translations) or WP REST - Polylang "
                "(polylang_current_lang) is there, and free Polylang publishes none; nothing "
                f"was recorded. To read this site, {NO_LANGUAGES_HINT}"))
            return
        keys = self._group_keys(listing.posts)
        for post_id in sorted(listing.posts):
            item = listing.posts[post_id]
            status = str(item.get("status") or "")
            if status in SKIPPED_STATUSES:
                continue
            if status == "trash":
                yield Deleted(self._origins.get(post_id) or str(item.get("link") or ""))
                continue
            try:
                found = self._document(item, keys[post_id])
            except Exception as exc:  # noqa: BLE001 - one post's failure is that post's
                origin = self._origins.get(post_id) or str(item.get("link") or "") or (
                    f"{self.base}/?p={post_id}")
                found = Problem(origin=origin, key=keys.get(post_id),
                                reason=f"post {post_id} could not be read "
                                f"({type(exc).__name__}: {exc}); fix it in WordPress")
            if isinstance(found, Document) and known.get(found.origin) == found.raw_hash:
                yield Unchanged(found.origin)
            else:
                yield found
        self._result = (listing, full)
        self.complete = full and listing.consistent

    def _list_all(self, rest_base: str, full: bool, listing: _Listing) -> None:
        """One post type: unfiltered, and per language where WPML filters by language."""
        params: dict[str, Any] = {"per_page": PER_PAGE, "order": "asc", "_fields": FIELDS}
        if full:
            params["orderby"] = "id"  # ids do not move while the pages are read
        else:
            params["orderby"] = "modified"
            assert self._cursor is not None
            params["modified_after"] = _iso_z(self._cursor - CURSOR_OVERLAP)
        if self.authenticated:
            params["context"] = "edit"
            params["status"] = ",".join(EDIT_STATUSES)
        if listing.plugin != "wpml":
            found = self._pages(rest_base, params, listing)
            if listing.plugin in ("polylang", "community") or (listing.plugin is None and found):
                return  # Polylang (or no plugin) lists every language at once
        for lang in self.languages:  # WPML answers in one language at a time
            self._pages(rest_base, {**params, "lang": self.wp_code(lang)}, listing)

    def _pages(self, rest_base: str, params: dict[str, Any], listing: _Listing) -> bool:
        """Read every page of one listing into `listing`; whether it had any post."""
        url = f"{self.base}/wp-json/wp/v2/{rest_base}"
        total: str | None = None
        ids: set[int] = set()
        for page in itertools.count(1):
            response = self._request("GET", url, params={**params, "page": page},
                                     allow=(400,) if page > 1 else ())
            if response.status_code == 400:
                if _wp_error(response)[0] != "rest_post_invalid_page_number":
                    raise self._refused("GET", _shown(url, params), response)
                listing.consistent = False  # posts went away between pages
                return bool(ids)
            items = _json(response, url)
            if not isinstance(items, list):
                raise SourceError(f"WordPress at {self.base}: {url} did not answer with a list "
                                  "of posts; is this the site's address?", url=url)
            if listing.started is None:
                listing.started = _server_time(response)
            if page == 1:
                total = response.headers.get("X-WP-Total")
            elif response.headers.get("X-WP-Total") != total:
                listing.consistent = False  # posts came or went between pages
            for item in items:
                if not isinstance(item, dict) or not _is_id(item.get("id")):
                    continue
                post_id = int(item["id"])
                if post_id in ids:
                    listing.consistent = False  # it moved to a later page while we read
                ids.add(post_id)
                listing.posts[post_id] = item
                if listing.plugin is None:
                    listing.plugin = _plugin(item)
            pages = _int(response.headers.get("X-WP-TotalPages"), 1)
            if page >= pages or not items:
                return bool(ids)
        return bool(ids)  # pragma: no cover - itertools.count never ends

    def _rest_base(self, post_type: str) -> str:
        """``posts`` for post, ``pages`` for page; other types as ``/wp/v2/types`` says."""
        if post_type not in self._rest_bases:
            url = f"{self.base}/wp-json/wp/v2/types"
            types = _json(self._request("GET", url), url)
            for name, info in (types.items() if isinstance(types, dict) else ()):
                if isinstance(info, dict) and info.get("rest_base"):
                    self._rest_bases.setdefault(name, str(info["rest_base"]))
            if post_type not in self._rest_bases:
                raise ConfigError(f"TRANSYNC_WP_POST_TYPES names {post_type!r}, which {self.base} "
                                  "does not offer through the REST API (show_in_rest)")
        return self._rest_bases[post_type]

    # -- posts to documents -----------------------------------------------------------------

    def _group_keys(self, posts: Mapping[int, dict[str, Any]]) -> dict[int, str]:
        """Post key of every post read: translation groups are the posts naming each other."""
        parent: dict[int, int] = {}

        def find(x: int) -> int:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for post_id, item in posts.items():
            find(post_id)
            for other in _translation_ids(item):
                parent[find(other)] = find(post_id)
        members: dict[int, list[int]] = {}
        for x in list(parent):
            members.setdefault(find(x), []).append(x)
        # a group takes the key most of its posts hold; a bigger group keeps a contested key
        wanted: list[tuple[int, int, list[int], str | None]] = []
        for group in (sorted(m) for m in members.values()):
            held = Counter(self._keys[i] for i in group if i in self._keys)
            best = min(held, key=lambda k: (-held[k], min(
                i for i in group if self._keys.get(i) == k))) if held else None
            wanted.append((-held[best] if best else 0, group[0], group, best))
        taken: set[str] = set()
        known_keys = set(self._keys.values())
        out: dict[int, str] = {}
        for _, first, group, best in sorted(wanted, key=lambda w: (w[0], w[1])):
            key = best
            if key is None or key in taken:
                mine = {self._keys.get(i) for i in group}
                key = f"wp-{first}"
                for n in itertools.count(2):
                    if key not in taken and (key not in known_keys or key in mine):
                        break
                    key = f"wp-{first}-{n}"
            taken.add(key)
            out.update((i, key) for i in group if i in posts)
        return out

    def _document(self, item: Mapping[str, Any], key: str,
                  source_hash: str | None = None) -> Document | Problem:
        post_id = int(item["id"])
        link = str(item.get("link") or f"{self.base}/?p={post_id}")
        code = _language_code(item) or self.default_lang
        if not code:
            return Problem(origin=link, key=key,
                           reason=f"post {post_id} has no language: assign it one in "
                           "WordPress (or set TRANSYNC_WP_DEFAULT_LANG, the language of posts "
                           "that have none)")
        lang = self.language(code)
        if lang is None:
            return Problem(origin=link, key=key, lang=code,
                           reason=f"post {post_id}: unknown language {code!r} (configured: "
                           f"{', '.join(self.languages)}); add it to TRANSYNC_LANGUAGES or map "
                           "it in TRANSYNC_WP_LOCALE_MAP (e.g. tr_TR=tr)")
        title_field = item.get("title") if isinstance(item.get("title"), dict) else {}
        content = item.get("content") if isinstance(item.get("content"), dict) else {}
        if "raw" in content:
            title = str(title_field.get("raw") or "")
            body = str(content.get("raw") or "")
        else:
            if content.get("protected"):
                return Problem(origin=link, key=key, lang=lang,
                               reason=f"post {post_id} is password-protected; WordPress shows "
                               f"its content only with {CREDENTIALS_HINT}")
            title = html.unescape(str(title_field.get("rendered") or ""))
            body = str(content.get("rendered") or "")
        status = str(item.get("status") or PUBLISHED)
        post_type = str(item.get("type") or "post")
        slug = str(item.get("slug") or "")
        date_gmt = item.get("date_gmt")
        raw = [key, lang, status, post_type, slug, link, date_gmt, title, body]
        return Document(
            source=self.uri,
            origin=link,
            key=key,
            lang=lang,
            title=title,
            body=body,
            body_format="html",
            date=_gmt(date_gmt),
            draft=status != PUBLISHED,
            source_hash=source_hash,
            front_matter={"wp_post_id": post_id, "type": post_type, "status": status,
                          "slug": slug, "link": link,
                          "modified_gmt": item.get("modified_gmt")},
            raw_hash=sha256_hex(json.dumps(raw, ensure_ascii=False)),
            external_id=str(post_id),
        )

    def language(self, code: str) -> str | None:
        """The configured language of a Polylang slug, a WPML code or a locale (tr_TR → tr)."""
        if code in self.locale_map:
            mapped = self.locale_map[code]
            return mapped if mapped in self.languages else None
        for form in (code, code.replace("-", "_").split("_", 1)[0]):
            for spelling in (form, form.lower()):
                if spelling in self.languages:
                    return spelling
        return None

    def wp_code(self, lang: str) -> str:
        """The site's code of a configured language: a locale-map key without ``_``, or itself."""
        for code, mapped in self.locale_map.items():
            if mapped == lang and "_" not in code:
                return code
        return lang

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
            raise ConflictError(f"writing a translation to {self.base} needs {CREDENTIALS_HINT}; "
                                "nothing was written", key=key, lang=lang)
        if not src.external_id or not str(src.external_id).isdigit():
            raise ConflictError(f"post {key!r}: the source version has no WordPress id; scan "
                                f"{self.uri} again", key=key)
        if body_format == "markdown":
            from markdown_it import MarkdownIt

            body = MarkdownIt("commonmark").render(body)
        post_type = self._source_type(session, src)
        rest_base = self._rest_base(post_type)
        self.force = force
        try:
            with self._open():
                written = self._upsert(scan, src=src, key=key, lang=lang, title=title,
                                       body=body, rest_base=rest_base)
        except _EditedInWordPress as edited:
            return self._conflict(session, scan, edited, key)
        doc = self._document(written, key, source_hash=source_hash)
        if isinstance(doc, Problem) or doc.lang != lang:
            why = doc.reason if isinstance(doc, Problem) else f"WordPress reports its language " \
                f"as {doc.lang!r}; check TRANSYNC_WP_LOCALE_MAP"
            raise ConflictError(f"the translation was written to {doc.origin} but cannot be "
                                f"recorded: {why}", key=key, lang=lang)
        at_origin = next((v for v in scan.snap.versions.values()
                          if v.source == self.uri and v.origin == doc.origin), None)
        version = scan.stage(doc, at_origin, source_texts)
        scan.settle()
        scan.write()
        return version

    def _source_type(self, session: Any, src: Any) -> str:
        from sqlalchemy import select

        from sync.db.models import Version

        front = session.execute(select(Version.front_matter).where(Version.id == src.id)).scalar()
        return str((front or {}).get("type") or "post")

    def _upsert(self, scan: Any, *, src: Any, key: str, lang: str, title: str, body: str,
                rest_base: str) -> dict[str, Any]:
        """Find-or-create, retried as a whole while a write may or may not have landed."""
        waited = 0.0
        for attempt in itertools.count():
            try:
                return self._upsert_once(scan, src=src, key=key, lang=lang, title=title,
                                         body=body, rest_base=rest_base)
            except _MaybeApplied as exc:
                delay = self.backoff * 2**attempt
                if attempt + 1 >= self.max_attempts or waited + delay > self.max_wait:
                    raise SourceError(f"{exc}; gave up after {attempt + 1} attempts. Whether "
                                      "the translation reached WordPress is unknown; submitting "
                                      "again is safe (the post is looked up before one is "
                                      "created)", key=key, lang=lang) from exc
                log.warning("%s; looking the translation up again in %.1f s", exc, delay)
                self.sleep(delay)
                waited += delay
        raise AssertionError("unreachable")  # pragma: no cover

    def _upsert_once(self, scan: Any, *, src: Any, key: str, lang: str, title: str, body: str,
                     rest_base: str) -> dict[str, Any]:
        src_id = int(src.external_id)
        source = self._get_post(rest_base, src_id)
        if source is None:
            raise ConflictError(f"post {key!r}: its source post {src_id} is gone from "
                                f"{self.base}; scan again", key=key)
        if "wpml_current_locale" in source or "wpml_translations" in source:
            raise ConflictError(f"{self.base} uses WPML, whose REST API cannot create or link "
                                "translations: write-back is not available for WPML sites. "
                                "Download the translation (PO or Markdown) and paste it into "
                                "WordPress; the next scan records it", key=key, lang=lang)
        group = source.get("translations")
        if not isinstance(group, dict) or not source.get("lang"):
            why = ("WP REST - Polylang's fields (polylang_current_lang) are read-only"
                   if _plugin(source) == "community" else "it has no Polylang `lang` and "
                   "`translations` fields")
            raise ConflictError(f"post {src_id} on {self.base} cannot be linked to a "
                                f"translation: {why}; write-back needs Polylang Pro's REST API. "
                                "Download the translation (PO or Markdown) and paste it into "
                                "WordPress; the next scan records it", key=key, lang=lang)
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
            if known is not None and known.source == self.uri and not known.deleted and (
                    str(known.external_id or "").isdigit()):
                found = self._get_post(rest_base, int(known.external_id))
                if found is not None and found.get("status") != "trash":
                    target = int(known.external_id)
        if target is None:
            target = self._find_by_slug(rest_base, marker, code)
        elif not self.force:
            self._check_unchanged(scan, src, lang, rest_base, target, marker, title, body)
        others = {k: v for k, v in links.items() if k != code}
        payload: dict[str, Any] = {"title": title, "content": body, "lang": code}
        if target is None:
            payload.update(slug=marker, translations=others,
                           status=PUBLISHED if self.settings.wp_publish else "draft")
            written = self._write("POST", f"{self.base}/wp-json/wp/v2/{rest_base}", payload)
        else:
            payload["translations"] = {**others, code: target}
            if self.settings.wp_publish:
                payload["status"] = PUBLISHED
            written = self._write("POST", f"{self.base}/wp-json/wp/v2/{rest_base}/{target}",
                                  payload)
        linked = written.get("translations")
        src_code = str(source["lang"])
        if not isinstance(linked, dict) or _int(linked.get(src_code), 0) != src_id:
            raise SourceError(f"{self.base} saved post {written.get('id')} but did not link it "
                              f"to post {src_id} as its {code!r} translation; link them in "
                              "WordPress (Polylang's languages box)", key=key, lang=lang)
        return written

    def _check_unchanged(self, scan: Any, src: Any, lang: str, rest_base: str,
                         target: int, marker: str, title: str, body: str) -> None:
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
        now = analyze_html(str((found.get("title") or {}).get("raw") or ""),
                           str((found.get("content") or {}).get("raw") or "")).content_hash
        if now == analyze_html(title, body).content_hash:
            return
        known = scan.snap.versions.get((src.post_id, lang))
        if known is None or known.deleted or known.source != self.uri or (
                str(known.external_id) != str(target)):
            if str(found.get("slug") or "").startswith(marker):
                return  # made by an earlier attempt of this write-back
            raise _EditedInWordPress(found, "appeared", f"post {target} is linked as the "
                                     f"{lang} translation but was never scanned")
        front = scan.session.execute(
            select(Version.front_matter).where(Version.id == known.id)).scalar() or {}
        if front.get("modified_gmt") and front.get("modified_gmt") == found.get("modified_gmt"):
            return
        if now != known.content_hash:
            raise _EditedInWordPress(found, "changed", f"post {target} was edited in "
                                     f"WordPress (modified {found.get('modified_gmt')}) since "
                                     "the last scan")

    def _conflict(self, session: Any, scan: Any, edited: _EditedInWordPress, key: str) -> Any:
        """Record the post as WordPress has it now and say why nothing was written."""
        doc = self._document(edited.post, key)
        if isinstance(doc, Document):
            at_origin = next((v for v in scan.snap.versions.values()
                              if v.source == self.uri and v.origin == doc.origin), None)
            scan.stage(doc, at_origin)
            scan.settle()
            scan.write()
        origin = doc.origin
        return WriteConflict(
            reason=edited.reason, path=origin,
            message=f"{edited.why}; nothing was written: the task is in conflict until an "
            "editor keeps the submitted translation or what is in WordPress")

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
        params = {"slug": slug, "context": "edit", "lang": code, "per_page": PER_PAGE,
                  "status": ",".join(s for s in EDIT_STATUSES if s != "trash")}
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
            raise SourceError(f"WordPress at {self.base}: {method} {url} did not answer with the "
                              "saved post", url=url)
        return written

    # -- HTTP -------------------------------------------------------------------------------

    def _open(self) -> _ClientScope:
        return _ClientScope(self)

    def _new_client(self) -> httpx.Client:
        auth = httpx.BasicAuth(self.user, self._password) if self.authenticated else None
        return httpx.Client(
            auth=auth,
            timeout=self.timeout,
            follow_redirects=False,
            headers={"User-Agent": f"transync/{__version__}", "Accept": "application/json"},
        )

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool = True,
        allow: Sequence[int] = (),
    ) -> httpx.Response:
        """Send with retries: 429 and 5xx (honouring Retry-After), timeouts, dropped
        connections. A write is retried here only when it surely was not applied (429, no
        connection); otherwise _MaybeApplied lets the caller look before it writes again."""
        if self._client is None:
            with self._open():
                return self._request(method, url, params=params, json_body=json_body,
                                     idempotent=idempotent, allow=allow)
        shown = _shown(url, params)
        waited = 0.0
        for attempt in itertools.count():
            retry_after: float | None = None
            response: httpx.Response | None = None
            status = 0
            try:
                response = self._client.request(method, url, params=params, json=json_body)
            except httpx.TimeoutException as exc:
                why = f"timed out ({type(exc).__name__})"
                if not idempotent and not isinstance(exc, httpx.ConnectTimeout):
                    raise _MaybeApplied(f"WordPress at {self.base}: {method} {shown} {why}",
                                        url=shown) from exc
            except httpx.TransportError as exc:
                why = f"could not be sent: {_transport(exc)}"
                if not idempotent and not isinstance(exc, httpx.ConnectError):
                    raise _MaybeApplied(f"WordPress at {self.base}: {method} {shown} {why}",
                                        url=shown) from exc
            else:
                status = response.status_code
                if status not in RETRY_STATUSES:
                    if status >= 300 and status not in allow:
                        raise self._refused(method, shown, response)
                    return response
                why = f"answered {status} {response.reason_phrase}"
                if not idempotent and status != 429:
                    raise _MaybeApplied(f"WordPress at {self.base}: {method} {shown} {why}",
                                        url=shown, status=status)
                retry_after = _retry_after(response.headers.get("Retry-After"))
            delay = retry_after if retry_after is not None else self.backoff * 2**attempt
            if attempt + 1 >= self.max_attempts or waited + delay > self.max_wait:
                asked = f" and asked to wait {delay:g} s more" if retry_after else ""
                hint = ("check the address and that the site is up" if response is None
                        else "ask the host about rate limits" if status == 429
                        else "the site has a problem: see its error log")
                raise SourceError(
                    f"WordPress at {self.base}: {method} {shown} {why}{asked}; gave up after "
                    f"{attempt + 1} attempts and {waited:g} s of waiting. Try again later; "
                    f"{hint}", url=shown)
            log.warning("WordPress at %s: %s %s %s; retrying in %.1f s", self.base, method,
                        shown, why, delay)
            self.sleep(delay)
            waited += delay
        raise AssertionError("unreachable")  # pragma: no cover

    def _refused(self, method: str, shown: str, response: httpx.Response) -> SourceError:
        status = response.status_code
        code, message = _wp_error(response)
        said = f" ({code}: {message})" if code or message else ""
        head = f"WordPress at {self.base}: {method} {shown} answered {status} " \
               f"{response.reason_phrase}{said}"
        if 300 <= status < 400:
            where = _without_credentials(response.headers.get("Location", "elsewhere"))
            target = urlsplit(where)._replace(query="", fragment="").geturl()
            moved, rest_api, _ = target.partition("/wp-json/")
            if rest_api and moved:  # the REST API is elsewhere: https, another host or path
                hint = f"the site's REST API is at {moved}/wp-json/; use wp:{moved} as the source"
            else:  # WordPress redirected to a page it guessed from the address
                hint = f"no WordPress REST API at {self.base}/wp-json/ (WordPress redirected to " \
                       f"{target}): check the wp: address (with a sub-directory install " \
                       "include it, e.g. wp:https://example.org/blog)"
        elif self.authenticated and (status == 401 or _forbidden_params(response)):
            # WordPress 6.1 answers a wrong application password as it answers a visitor
            # (401 rest_forbidden_context, or 400 for the statuses a visitor may not list)
            hint = (f"WordPress did not accept the credentials, or the user {self.user!r} may "
                    f"not edit posts: check {CREDENTIALS_HINT}, and give the user the Editor "
                    "role")
        elif status == 401:
            hint = f"this needs a WordPress user: set {CREDENTIALS_HINT}"
        elif status == 403:
            hint = (f"the user {self.user!r} may not do this: give it the Editor role"
                    if self.authenticated else "the site refuses visitors: set "
                    f"{CREDENTIALS_HINT}") + ", and check that no security plugin blocks " \
                   "the REST API"
        elif status == 404:
            hint = f"no WordPress REST API at {self.base}/wp-json/: check the wp: address " \
                   "(with a sub-directory install include it, e.g. wp:https://example.org/blog)"
        else:
            hint = "WordPress rejected the request; transync needs WordPress 5.7 or later"
        return SourceError(f"{head}; {hint}", url=shown, status=status)


class _ClientScope:
    """Opens the HTTP client for a read or a write and closes it after (re-entrant)."""

    def __init__(self, site: WordPressSite) -> None:
        self.site = site
        self.owner = False

    def __enter__(self) -> _ClientScope:
        if self.site._client is None:
            self.site._client = self.site._new_client()
            self.owner = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.owner and self.site._client is not None:
            self.site._client.close()
            self.site._client = None


# -- helpers ------------------------------------------------------------------------------


def _site_url(url: str) -> str:
    """``https://example.org/blog/`` → ``https://example.org/blog``; credentials refused."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"wp:{_without_credentials(text)} is not a site address; write "
                          "wp:https://example.org")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"wp:{_without_credentials(text)}: do not put credentials in the "
                          f"address; set {CREDENTIALS_HINT}")
    path = parts.path.rstrip("/")
    if path.endswith("/wp-json"):
        path = path[: -len("/wp-json")]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


def _without_credentials(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an address that cannot be read)"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def _shown(url: str, params: Mapping[str, Any] | None) -> str:
    """The URL as an error shows it: with its query, never with credentials."""
    if not params:
        return url
    query = "&".join(f"{k}={v}" for k, v in params.items() if k != "_fields")
    return f"{url}?{query}"


def _transport(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _json(response: httpx.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        kind = response.headers.get("Content-Type", "unknown type")
        raise SourceError(f"{url} answered {kind}, not JSON; is this a WordPress site with the "
                          "REST API enabled?", url=url) from exc


def _wp_error(response: httpx.Response) -> tuple[str, str]:
    """WordPress's ``{"code": …, "message": …}`` error body, shortened."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    message = html.unescape(str(body.get("message") or "")).strip()
    if len(message) > 200:
        message = message[:199] + "…"
    return str(body.get("code") or ""), message


def _forbidden_params(response: httpx.Response) -> bool:
    """A 400 ``rest_invalid_param`` because the user may not ask for a parameter's value
    (``rest_forbidden_status``: drafts, without the right to edit)."""
    if response.status_code != 400:
        return False
    try:
        body = response.json()
        details = body["data"]["details"]
        return any(str(d.get("code", "")).startswith("rest_forbidden") for d in details.values())
    except (ValueError, KeyError, TypeError, AttributeError):
        return False


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _server_time(response: httpx.Response) -> dt.datetime | None:
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _parse_cursor(text: str | None) -> tuple[dt.datetime | None, str | None]:
    """The stored cursor: ``{"modified_after": ISO time, "plugin": polylang|wpml|community}``."""
    if not text:
        return None, None
    try:
        data = json.loads(text)
        when = dt.datetime.fromisoformat(str(data["modified_after"]).replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        return None, None  # unreadable: a full pass sets it again
    plugin = data.get("plugin")
    return when.astimezone(dt.UTC), plugin if plugin in PLUGINS else None


def _format_cursor(when: dt.datetime | None, plugin: str | None) -> str | None:
    if when is None:
        return None
    return json.dumps({"modified_after": _iso_z(when), "plugin": plugin})


def _iso_z(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _gmt(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


def _plugin(item: Mapping[str, Any]) -> str | None:
    """The plugin whose REST fields a post carries, if any."""
    for name, fields in PLUGIN_FIELDS:
        if any(f in item for f in fields):
            return name
    return None


def _language_code(item: Mapping[str, Any]) -> str | None:
    for name in ("lang", "wpml_current_locale", "polylang_current_lang"):
        value = item.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _translation_ids(item: Mapping[str, Any]) -> list[int]:
    """Ids a post names as its translations: Polylang's map, WPML's list (or keyed dict),
    the community plugin's list."""
    found: list[int] = []
    polylang = item.get("translations")
    if isinstance(polylang, dict):
        found += [int(v) for v in polylang.values() if _is_id(v)]
    for name in ("wpml_translations", "polylang_translations"):
        listed = item.get(name)
        entries = (listed.values() if isinstance(listed, dict)
                   else listed if isinstance(listed, list) else ())
        for entry in entries:
            if isinstance(entry, dict) and _is_id(entry.get("id")):
                found.append(int(entry["id"]))
    return found
