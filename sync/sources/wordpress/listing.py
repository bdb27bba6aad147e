"""Reading a WordPress site: full passes and incremental reads, the cursor between
scans, and the pages of each listing.

An incremental read asks for what was modified since the cursor (less CURSOR_OVERLAP); a
full pass (the first scan, then every TRANSYNC_WP_RECONCILE_HOURS) lists every post in id
order and is the only read that is ``complete``. A listing that moves while it is read
keeps the old cursor (see the package's docstring).

Pages are fetched one at a time, in a thread that keeps a page ahead: while WordPress
builds the next page, the posts of this one that changed are analyzed (segments and hash,
which do not depend on the post key), so a first scan costs the fetch or the analysis,
whichever is longer, rather than both. On a full pass of a large listing (PARALLEL_MIN
posts or more) the analysis is handed to worker processes (sync.sources.wordpress.parallel),
a page at a time, and the reader's core keeps to the fetch, the JSON and the documents.
With an application password only the raw title and content are asked for
(``_fields=…title.raw,content.raw…``): WordPress then renders no post's blocks for a
reader that never uses the rendering.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import queue
import threading
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.analysis import analyze_document, with_words
from sync.errors import SourceError
from sync.i18n import nt_, t_
from sync.sources.base import (
    Deleted,
    Document,
    Problem,
    Settled,
    Skipped,
    StreamUndone,
    Unchanged,
    changed,
)
from sync.sources.wordpress.parallel import PARALLEL_MIN, Batch, Handed, analysis_workers
from sync.sources.wordpress.posts import (
    EDIT_FIELDS,
    EDIT_STATUSES,
    FIELDS,
    PLUGINS,
    SKIPPED_STATUSES,
    _gmt,
    _groups,
    _plugin,
    _Posts,
    _translation_ids,
)
from sync.sources.wordpress.rest import (
    PER_PAGE,
    _int,
    _json,
    _RestClient,
    _server_time,
    _shown,
    _wp_error,
)
from sync.sources.wpcommon import held_keys
from sync.sources.wpcommon import is_post_id as _is_id

log = logging.getLogger("sync.sources.wordpress")  # the name logs had before the split

#: Each incremental read asks from this long before the cursor (saves in flight, same second).
CURSOR_OVERLAP = dt.timedelta(seconds=60)
NO_LANGUAGES_HINT = t_(
    "install Polylang Pro, WPML with its REST API add-on (wpml-rest-api) or the WP REST - "
    "Polylang plugin; or scan an export of the site instead (Tools → Export, then "
    "wxr:FILE), which carries the languages of free Polylang and WPML too; for a site in "
    "one language, set TRANSYNC_WP_DEFAULT_LANG"
)


@dataclass
class _Listing:
    """What one read collected: posts by id, and whether the listing held still."""

    posts: dict[int, dict[str, Any]] = field(default_factory=dict)
    consistent: bool = True
    started: dt.datetime | None = None  # the server's clock at the first answer
    plugin: str | None = None
    #: the document of each post read, and the analysis of the posts that changed, made
    #: while the next page was being fetched
    ahead: dict[int, tuple[Document, Any]] = field(default_factory=dict)
    known: Mapping[str, str] = field(default_factory=dict)  # origin -> raw hash held
    held: frozenset[str] = frozenset()  # the post keys the tracker holds for this site
    #: a full pass's analysis processes (used once a listing is seen to be large), and the
    #: posts of the page being read that wait to be handed to them
    workers: Any = None
    large: bool = False
    batch: Batch = field(default_factory=list)
    #: posts the tracker holds that an incremental read asked for by id and did not get
    gone: set[int] = field(default_factory=set)
    #: whether whole translation groups are given to the tracker as the pages come (a first
    #: full pass, the tracker asking), and the key each post given so was given under
    stream: bool = False
    streamed: dict[int, str] = field(default_factory=dict)
    waiting: dict[int, dict[str, Any]] = field(default_factory=dict)  # read, not given yet
    newest: Any = None  # the analysis of the last page handed to the workers, pending


class _Reading(_Posts, _RestClient):
    """The reading half of WordPressSite: the state kept between scans, and the read."""

    # set by WordPressSite.__init__
    settings: Any
    complete: bool
    _cursor: dt.datetime | None
    _reconciled_at: dt.datetime | None
    _plugin: str | None
    _origins: dict[int, str]
    _result: tuple[_Listing, bool] | None
    #: set by the tracker before a read: it takes whole posts before the end (Settled)
    streaming: bool = False

    def claim_clash(self, key: str, lang: str, origins: list[str]) -> Any:
        """Why two posts of the site are one post's version in one language (the tracker
        asks): in WordPress that is a translation group holding two posts in a language,
        which only the site can mend (a translationKey is a content tree's)."""
        return nt_(
            "post %(key)s has %(n)d post in %(lang)s in %(site)s (%(posts)s); keep one post "
            "per language in its translation group (Polylang: the Languages box of the post; "
            "WPML: its Translations)",
            "post %(key)s has %(n)d posts in %(lang)s in %(site)s (%(posts)s); keep one post "
            "per language in its translation group (Polylang: the Languages box of the post; "
            "WPML: its Translations)",
            len(origins),
            key=repr(key),
            lang=lang,
            n=len(origins),
            site=self.base,
            posts=", ".join(origins),
        )

    # -- state ------------------------------------------------------------------------------

    def load_state(self, session: Any) -> None:
        """The cursor, the last reconciliation, and the keys and origins the tracker holds."""
        from sync.db.models import SourceState

        state = session.get(SourceState, self.uri)
        if state is not None:
            self._reconciled_at = state.reconciled_at
            self._cursor, self._plugin = _parse_cursor(state.cursor)
        for post_id, origin, key in held_keys(session, self.uri):
            self._keys[int(post_id)] = key
            self._origins[int(post_id)] = origin

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

    def read(
        self, known: Mapping[str, str]
    ) -> Iterator[Document | Problem | Unchanged | Deleted | Skipped]:
        """Every post that changed (or every post, on a full pass), grouped into posts."""
        self.complete = False
        self._result = None
        full = self._full_pass_due()
        listing = _Listing(plugin=self._plugin, known=known, held=frozenset(self._keys.values()))
        # the first full pass of a site the tracker holds nothing of may give whole groups
        # as the pages come (see _settled_groups), when the tracker asks
        listing.stream = self.streaming and full and not self._keys and not known
        # a full pass (the first scan) analyzes the posts in processes of their own, started
        # before the fetching thread (no fork while it runs): the reader's own core keeps
        # to the fetch, the JSON and the documents
        with analysis_workers(full) as listing.workers, self._open():
            for post_type in self.settings.wp_post_types:
                rest_base = self._rest_base(post_type)
                yield from self._list_all(rest_base, full, listing)
            if not full:
                yield from self._read_left_behind(listing)
            for post_id, made in listing.ahead.items():  # every analysis in before the pool goes
                if isinstance(made[1], Handed):
                    listing.ahead[post_id] = (made[0], made[1].result())
        if listing.started is None:  # no Date header: the latest modification seen
            times = [_gmt(p.get("modified_gmt")) for p in listing.posts.values()]
            listing.started = max((t for t in times if t is not None), default=None)
        if (
            listing.plugin is None
            and not self.default_lang
            and any(
                str(p.get("status") or "") not in SKIPPED_STATUSES | {"trash"}
                for p in listing.posts.values()
            )
        ):
            listed = f"{self.base}/wp-json/wp/v2/{self._rest_base(self.settings.wp_post_types[0])}"
            yield Problem(
                origin=listed,
                fatal=True,
                reason=t_(
                    "the REST API of %(site)s gives no post a language: none of the fields "
                    "of Polylang Pro (lang, translations), WPML's REST add-on "
                    "(wpml_current_locale, wpml_translations) or WP REST - Polylang "
                    "(polylang_current_lang) is there, and free Polylang publishes none; nothing "
                    "was recorded. To read this site, %(hint)s",
                    site=self.base,
                    hint=NO_LANGUAGES_HINT,
                ),
            )
            return
        keys = self._group_keys(listing.posts)
        for post_id, key in listing.streamed.items():
            if keys.get(post_id) != key:  # a post read later joined its group
                raise StreamUndone(
                    f"{self.uri}: post {post_id} was written under {key}, its group is "
                    f"{keys.get(post_id)} once every page is in"
                )
        for post_id in sorted(listing.gone):  # deleted for good since the tracker read it
            if post_id in self._origins:
                yield Deleted(self._origins[post_id])
        for post_id in sorted(listing.posts):
            if post_id not in listing.streamed:
                found = self._item(post_id, keys[post_id], listing)
                if found is not None:
                    yield found
        self._result = (listing, full)
        self.complete = full and listing.consistent

    def _item(
        self, post_id: int, key: str, listing: _Listing
    ) -> Document | Problem | Unchanged | Deleted | Skipped | None:
        """What the tracker is given for one post read, under its group's key: its document
        (with the analysis made ahead), a problem, Unchanged, Deleted (trashed), or None
        (a status not tracked)."""
        item = listing.posts[post_id]
        status = str(item.get("status") or "")
        if status in SKIPPED_STATUSES:
            return None
        if status == "trash":
            return Deleted(self._origins.get(post_id) or str(item.get("link") or ""))
        try:
            made = listing.ahead.pop(post_id, None)
            if made is None:
                found = self._document(item, key)
            else:
                found = self.rekeyed(made[0], item, key)
                analysis = made[1].result() if isinstance(made[1], Handed) else made[1]
                if analysis is not None:
                    found = changed(found, analysis=analysis)
        except Exception as exc:  # noqa: BLE001 - one post's failure is that post's
            origin = (
                self._origins.get(post_id)
                or str(item.get("link") or "")
                or (f"{self.base}/?p={post_id}")
            )
            found = Problem(
                origin=origin,
                key=key,
                reason=t_(
                    "post %(id)d could not be read (%(error)s); fix it in WordPress",
                    id=post_id,
                    error=f"{type(exc).__name__}: {exc}",
                ),
            )
        if isinstance(found, Document) and listing.known.get(found.origin) == found.raw_hash:
            return Unchanged(found.origin)
        return found

    def _settled_groups(self, listing: _Listing) -> Iterator[Any]:
        """While the pages come, the translation groups of a first full pass that are whole:
        every post they name read, none given before, each post's analysis made (or being
        made from an earlier page: waited for; this page's are the next page's turn). They are
        given under the key read() would give them at the end (``wp-`` and the group's
        lowest id: the tracker holds no key of this site), then Settled, so that the tracker
        writes them while the next page is fetched rather than all of them after the last.
        What could make such a group other than it was given (a post read later naming one
        of its posts, a post listed again) is found at the end or by the tracker, and the
        scan is made again without giving groups early (StreamUndone): never written wrong."""
        if not listing.stream or listing.plugin == "wpml":  # WPML lists a language at a time
            return
        if listing.plugin is None and not self.default_lang:
            return  # a site with no language field may be refused whole at the end
        pending = listing.waiting  # a page's posts, and those whose groups wait for others
        whole: list[int] = []
        for members in _groups(pending).values():
            if any(i not in pending for i in members):
                continue  # it names a post not read yet (or one given before): wait
            if any(
                isinstance(made[1], Handed)
                and made[1].pending is listing.newest
                and not made[1].done()
                for i in members
                if (made := listing.ahead.get(i)) is not None
            ):
                continue  # this page's analyses are still being made: the next page's turn
            whole.extend(members)
        keys = self._group_keys({i: pending[i] for i in whole})  # whole groups: their own
        given = 0
        for post_id in sorted(whole):
            del pending[post_id]
            listing.streamed[post_id] = keys[post_id]
            found = self._item(post_id, keys[post_id], listing)
            if found is not None:
                given += 1
                yield found
        if given:
            yield Settled()

    def _list_all(self, rest_base: str, full: bool, listing: _Listing) -> Iterator[Any]:
        """One post type: unfiltered, and per language where WPML filters by language. An
        incremental read asks twice: what was modified since the cursor, and what was
        published since (a scheduled post WordPress's cron publishes keeps its modified
        time, so it would stay a draft here until the next full pass)."""
        params = self._params()
        if full:  # in id order: ids stay put
            yield from self._list_one(rest_base, {**params, "orderby": "id"}, listing)
            return
        assert self._cursor is not None
        since = self._cursor - CURSOR_OVERLAP
        modified = {**params, "orderby": "modified", "modified_after": _iso_z(since)}
        yield from self._list_one(rest_base, modified, listing)
        published = {**params, "orderby": "date", "after": _iso_z(since)}  # as modified_after
        yield from self._list_one(rest_base, published, listing)

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"per_page": PER_PAGE, "order": "asc", "_fields": FIELDS}
        if self.authenticated:
            params["context"] = "edit"
            params["status"] = ",".join(EDIT_STATUSES)
            params["_fields"] = EDIT_FIELDS
        return params

    def _read_left_behind(self, listing: _Listing) -> Iterator[Any]:
        """An incremental read lists only the posts saved since the cursor, but linking
        and unlinking translations (Polylang's Languages box) saves only the post edited:
        a translation unlinked from the source's screen, or the posts of a group one of
        them left for another, keep their modified time. So the posts the tracker holds
        under a listed group's keys that the group no longer names are read too (by id),
        and what they name in turn; one the site no longer has is deleted for good."""
        asked: set[int] = set()
        for _ in range(3):  # each round reads the posts the last one named
            wanted = self._left_behind(listing.posts) - asked
            if not wanted:
                break
            asked |= wanted
            for post_type in self.settings.wp_post_types:
                rest_base = self._rest_base(post_type)
                ids = sorted(wanted)
                for start in range(0, len(ids), PER_PAGE):
                    include = ",".join(str(i) for i in ids[start : start + PER_PAGE])
                    yield from self._list_one(
                        rest_base, {**self._params(), "orderby": "id", "include": include}, listing
                    )
        listing.gone = asked - listing.posts.keys()

    def _left_behind(self, posts: Mapping[int, dict[str, Any]]) -> set[int]:
        """Posts not read that the tracker holds under a key a group read holds, and that
        the group does not name: they left it, or it left them."""
        by_key: dict[str, set[int]] = {}
        for post_id, key in self._keys.items():
            by_key.setdefault(key, set()).add(post_id)
        wanted: set[int] = set()
        for group in _groups(posts).values():
            for key in {self._keys[i] for i in group if i in self._keys}:
                wanted |= by_key[key] - set(group)
        return wanted - posts.keys()

    def _list_one(self, rest_base: str, params: dict[str, Any], listing: _Listing) -> Iterator[Any]:
        if listing.plugin != "wpml":
            found = yield from self._pages(rest_base, params, listing)
            if listing.plugin in ("polylang", "community") or (listing.plugin is None and found):
                return  # Polylang (or no plugin) lists every language at once
        for lang in self.languages:  # WPML answers in one language at a time
            yield from self._pages(rest_base, {**params, "lang": self.wp_code(lang)}, listing)

    def _pages(
        self, rest_base: str, params: dict[str, Any], listing: _Listing
    ) -> Generator[Any, None, bool]:
        """Read every page of one listing into `listing`; whether it had any post. The next
        page is fetched (in a thread) while the posts of this one are analyzed; on a first
        full pass the groups made whole are given after each page (_settled_groups)."""
        url = f"{self.base}/wp-json/wp/v2/{rest_base}"
        total: str | None = None
        ids: set[int] = set()
        with _Ahead(self._page_answers(url, params)) as answers:
            for page, response, items in answers:
                if response.status_code == 400:
                    if _wp_error(response)[0] != "rest_post_invalid_page_number":
                        raise self._refused("GET", _shown(url, params), response)
                    listing.consistent = False  # posts went away between pages
                    return bool(ids)
                if listing.started is None:
                    listing.started = _server_time(response)
                if page == 1:
                    total = response.headers.get("X-WP-Total")
                    listing.large = listing.large or _int(total, 0) >= PARALLEL_MIN
                elif response.headers.get("X-WP-Total") != total:
                    listing.consistent = False  # posts came or went between pages
                for item in items:
                    if not isinstance(item, dict) or not _is_id(item.get("id")):
                        continue
                    post_id = int(item["id"])
                    if post_id in listing.streamed:  # listed again (the listing moved)
                        if item != listing.posts[post_id]:  # otherwise, as it was given
                            raise StreamUndone(f"{self.uri}: post {post_id} changed while read")
                        listing.consistent = False
                        continue
                    if post_id in ids:
                        listing.consistent = False  # it moved to a later page while we read
                    ids.add(post_id)
                    listing.posts[post_id] = item
                    if listing.stream:
                        listing.waiting[post_id] = item
                    if listing.plugin is None:
                        listing.plugin = _plugin(item)
                    self._analyze_ahead(post_id, item, listing)
                if listing.batch:
                    listing.newest = listing.workers.hand(listing.batch, listing.ahead)
                    listing.batch = []
                yield from self._settled_groups(listing)
        return bool(ids)

    def _page_answers(
        self, url: str, params: dict[str, Any]
    ) -> Iterator[tuple[int, Any, list[Any]]]:
        """Each page of one listing, in order, with its posts: until the last page, an
        empty one, or WordPress's 400 for a page past the end (given as it is)."""
        for page in itertools.count(1):
            response = self._request(
                "GET", url, params={**params, "page": page}, allow=(400,) if page > 1 else ()
            )
            if response.status_code == 400:
                yield page, response, []
                return
            items = _json(response, url)
            if not isinstance(items, list):
                raise SourceError(
                    t_(
                        "WordPress at %(site)s: %(url)s did not answer with a list "
                        "of posts; is this the site's address?",
                        site=self.base,
                        url=url,
                    ),
                    url=url,
                )
            yield page, response, items
            if page >= _int(response.headers.get("X-WP-TotalPages"), 1) or not items:
                return

    def _analyze_ahead(self, post_id: int, item: dict[str, Any], listing: _Listing) -> None:
        """The document of a post, made now, while the next page is on its way, under the
        key the tracker holds for it or, for a post it does not hold, the key its group will
        most likely get (read() gives it its group's key); and, when it is new or changed,
        its segments: what the tracker would compute later, once every page is in and the
        groups are known."""
        listing.ahead.pop(post_id, None)  # listed again (WPML): this answer counts
        if str(item.get("status") or "") in SKIPPED_STATUSES | {"trash"}:
            return
        try:
            key = self._keys.get(post_id) or _likely_key(item, self._keys, listing.held)
            made = self._document(item, key)
            if not isinstance(made, Document):
                return  # read() makes it again, under the group's key
            doc = made
            analysis = None
            if not doc.raw_hash or listing.known.get(doc.origin) != doc.raw_hash:
                if listing.workers is not None and listing.large:
                    listing.batch.append(
                        (post_id, doc.title, doc.body, doc.body_format, tuple(doc.fields))
                    )
                else:
                    analysis = with_words(
                        analyze_document(
                            doc.title, doc.body, body_format=doc.body_format, fields=doc.fields
                        )
                    )
            listing.ahead[post_id] = (doc, analysis)
        except Exception:  # noqa: BLE001 - read() makes it again and reports it
            return


def _likely_key(item: Mapping[str, Any], keys: Mapping[int, str], held: frozenset[str]) -> str:
    """The key read() will most likely give a post the tracker does not hold yet, judged
    from the post's own translations: a translation's key if the tracker holds one, else
    ``wp-`` and the group's first id (what _group_keys gives a new group); "" when that key
    is taken. Its raw hash is then made ahead, while the next page is fetched, instead of
    after the last page; a wrong guess costs only the hash again (rekeyed)."""
    others = _translation_ids(item)
    for other in sorted(others):
        if other in keys:
            return keys[other]
    key = f"wp-{min([int(item['id']), *others])}"
    return "" if key in held else key


class _Ahead:
    """An iterator run in a thread, a little ahead of its reader: while the reader works
    on one page, the thread waits for WordPress to answer the next. What the iterator
    raises is raised to the reader; leaving early stops the thread after its request."""

    def __init__(self, items: Iterator[Any], depth: int = 2) -> None:
        self._items = items
        self._queue: queue.Queue[tuple[bool, Any]] = queue.Queue(depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wp-pages", daemon=True)

    def __enter__(self) -> Iterator[Any]:
        self._thread.start()
        return self._read()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put((True, item)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the reader
            self._put((False, exc))
        else:
            self._put((False, None))

    def _put(self, entry: tuple[bool, Any]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _read(self) -> Iterator[Any]:
        while True:
            ok, value = self._queue.get()
            if ok:
                yield value
            elif value is None:
                return
            else:
                raise value


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
