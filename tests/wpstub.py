"""A WordPress stand-in for tests: posts in memory behind ``/wp-json/wp/v2/posts`` and
``/pages``, answered the way WordPress answers (fields, headers, errors), with Polylang
Pro's or WPML's REST fields, on a threaded HTTP server on 127.0.0.1.

The WordPress tests run against a real WordPress (tests/wordpress/); this stand-in stays
for what a real server does not do on demand: 429 with Retry-After, 500 and 503, answers
that come too late, another theme's markup, WPML answers keyed by locale.

Its clock is its own: it starts on 2024-03-01 09:00 UTC and moves 5 minutes with every
change (or when a test says so), and the ``Date`` header tells it, so cursors are exact.
Every request is logged; failures can be injected (429 with Retry-After, 500, or a POST
applied but answered too late for the client).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LOCALES = {"en": "en_US", "tr": "tr_TR", "ru": "ru_RU"}
ALL_STATUSES = ("publish", "future", "draft", "pending", "private", "trash")
START = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(minutes=5)
_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:[^>]*-->\s*")
_BLOCK_START = re.compile(r"^\s*<(?:h[1-6]|ul|ol|p|blockquote|figure|table|pre|div)\b", re.I)
_TEXT = re.compile(r"(^|>)([^<]*)")


@dataclass
class StubPost:
    id: int
    type: str
    status: str
    slug: str
    title: str
    content: str
    lang: str
    group: int  # Polylang translation group / WPML trid
    date_gmt: dt.datetime | None
    modified_gmt: dt.datetime


@dataclass(frozen=True)
class Logged:
    """One request as the stub saw it."""

    method: str
    path: str
    params: dict[str, str]
    authorized: bool
    status: int
    served: tuple[int, ...] = ()  # ids of the posts in the answer


@dataclass
class _Failure:
    status: int
    retry_after: str | None = None


@dataclass
class WordPressStub:
    """The site. ``plugin`` is "polylang" or "wpml"; ``role`` "editor" or "subscriber"."""

    plugin: str = "polylang"
    user: str = "editor"
    password: str = "abcd EFGH 1234 ijkl MNOP 5678"
    role: str = "editor"
    default_lang: str = "en"
    wpml_keyed: bool = False  # WPML REST add-on 2.x keys wpml_translations by locale
    noisy: bool = False  # rendered markup as another theme/plugin version writes it
    posts: dict[int, StubPost] = field(default_factory=dict)
    requests: list[Logged] = field(default_factory=list)
    now: dt.datetime = START
    lock: threading.RLock = field(default_factory=threading.RLock)
    failures: list[_Failure] = field(default_factory=list)
    stall_posts: list[float] = field(default_factory=list)
    _next_id: int = 10
    _next_group: int = 1
    _server: ThreadingHTTPServer | None = None

    # -- running ----------------------------------------------------------------------------

    def start(self) -> WordPressStub:
        stub = self

        class Handler(_Handler):
            site = stub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # a stalled answer must not hold up the test
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- content ----------------------------------------------------------------------------

    def tick(self, delta: dt.timedelta = STEP) -> dt.datetime:
        with self.lock:
            self.now += delta
            return self.now

    def add(
        self,
        *,
        title: str,
        content: str,
        lang: str,
        type: str = "post",
        status: str = "publish",
        slug: str = "",
        translation_of: int | None = None,
    ) -> int:
        """A post; ``translation_of`` puts it in that post's translation group."""
        with self.lock:
            now = self.tick()
            post_id = self._next_id
            self._next_id += 1
            if translation_of is not None:
                group = self.posts[translation_of].group
            else:
                group = self._next_group
                self._next_group += 1
            self.posts[post_id] = StubPost(
                id=post_id,
                type=type,
                status=status,
                slug=slug or f"post-{post_id}",
                title=title,
                content=content,
                lang=lang,
                group=group,
                date_gmt=now if status != "draft" else None,
                modified_gmt=now,
            )
            return post_id

    def edit(self, post_id: int, **changes: Any) -> None:
        with self.lock:
            post = self.posts[post_id]
            for name, value in changes.items():
                setattr(post, name, value)
            post.modified_gmt = self.tick()
            if post.status == "publish" and post.date_gmt is None:
                post.date_gmt = post.modified_gmt

    def trash(self, post_id: int) -> None:
        self.edit(post_id, status="trash", slug=self.posts[post_id].slug + "__trashed")

    def delete(self, post_id: int) -> None:
        """Deleted for good: gone, and nothing else is modified."""
        with self.lock:
            del self.posts[post_id]

    def fail_next(self, times: int, status: int, retry_after: str | None = None) -> None:
        with self.lock:
            self.failures.extend(_Failure(status, retry_after) for _ in range(times))

    def stall_next_post(self, seconds: float) -> None:
        """The next POST is applied, then answered only after `seconds`."""
        with self.lock:
            self.stall_posts.append(seconds)

    def group_of(self, post_id: int) -> dict[str, int]:
        with self.lock:
            group = self.posts[post_id].group
            return {
                p.lang: p.id
                for p in sorted(self.posts.values(), key=lambda p: p.id)
                if p.group == group
            }

    def listings(self) -> list[Logged]:
        return [
            r
            for r in self.requests
            if r.method == "GET" and re.fullmatch(r"/wp-json/wp/v2/(posts|pages)", r.path)
        ]

    # -- rendering --------------------------------------------------------------------------

    def link(self, post: StubPost) -> str:
        if post.status != "publish":
            return f"{self.url}/?{'page_id' if post.type == 'page' else 'p'}={post.id}"
        prefix = "" if post.lang == self.default_lang else f"/{post.lang}"
        return f"{self.url}{prefix}/{post.slug}/"

    def render(self, raw: str) -> str:
        """content.rendered: block comments out, wpautop, wptexturize (and noise if asked)."""
        classic = _BLOCK_COMMENT.search(raw) is None
        text = _BLOCK_COMMENT.sub("", raw)
        if classic:
            blocks = []
            for chunk in re.split(r"\n\s*\n", text.strip()):
                if _BLOCK_START.match(chunk):
                    blocks.append(chunk)
                else:
                    blocks.append("<p>" + chunk.strip().replace("\n", "<br />\n") + "</p>")
            text = "\n".join(blocks)
        text = _texturize(text)
        if self.noisy:
            text = text.replace("&#8217;", "\u2019")  # the character, not the entity
            text = re.sub(r"<p>", '<p class="wp-block-paragraph" data-block="core">', text)
            text = text.replace("<br />", "<br>").replace("\n", "\n\n  ")
            text += '\n<div class="sharedaddy sd-sharing-enabled"></div>'
        return text + "\n"

    def as_json(self, post: StubPost, *, edit: bool) -> dict[str, Any]:
        title = _texturize(post.title)
        if self.noisy:
            title = html.unescape(title)
        data: dict[str, Any] = {
            "id": post.id,
            "date": _wp_time(post.date_gmt or post.modified_gmt),
            "date_gmt": _wp_time(post.date_gmt) if post.date_gmt else None,
            "guid": {"rendered": f"{self.url}/?p={post.id}"},
            "modified": _wp_time(post.modified_gmt),
            "modified_gmt": _wp_time(post.modified_gmt),
            "slug": post.slug,
            "status": post.status,
            "type": post.type,
            "link": self.link(post),
            "title": {"rendered": title},
            "content": {"rendered": self.render(post.content), "protected": False},
        }
        if edit:
            data["title"]["raw"] = post.title
            data["content"]["raw"] = post.content
            data["content"]["block_version"] = 1 if "<!-- wp:" in post.content else 0
        members = [
            p for p in sorted(self.posts.values(), key=lambda p: p.id) if p.group == post.group
        ]
        if self.plugin == "polylang":
            data["lang"] = post.lang
            data["translations"] = {p.lang: p.id for p in members}
        elif self.plugin == "wpml":
            data["wpml_current_locale"] = LOCALES[post.lang]
            # the add-on leaves out the post itself and every unpublished translation
            others = [
                {"locale": LOCALES[p.lang], "id": p.id, "post_title": p.title, "href": self.link(p)}
                for p in members
                if p.id != post.id and p.status == "publish"
            ]
            data["wpml_translations"] = (
                {o["locale"]: o for o in others} if self.wpml_keyed else others
            )
        return data

    # -- answering --------------------------------------------------------------------------

    def answer(
        self, method: str, path: str, params: dict[str, str], body: dict[str, Any], auth: str | None
    ) -> tuple[int, dict[str, str], Any]:
        """(status, headers, JSON body or text) for one request; applies writes."""
        with self.lock:
            if self.failures:
                failure = self.failures.pop(0)
                headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                if failure.status == 429:
                    return 429, headers, _error("rest_too_many_requests", "Too many requests.", 429)
                return (
                    failure.status,
                    headers,
                    _error(
                        "internal_server_error", "There has been a critical error.", failure.status
                    ),
                )
            user = None
            if auth is not None:
                user = self._check_auth(auth)
                if user is None:
                    return (
                        401,
                        {},
                        _error(
                            "incorrect_password",
                            "The provided password is an invalid application password.",
                            401,
                        ),
                    )
            if not path.startswith("/wp-json/"):
                return 404, {"Content-Type": "text/html"}, "<html><h1>Not Found</h1></html>"
            route = re.fullmatch(r"/wp-json/wp/v2/(posts|pages)(?:/(\d+))?", path)
            if path == "/wp-json/wp/v2/types" and method == "GET":
                return (
                    200,
                    {},
                    {
                        "post": {"slug": "post", "rest_base": "posts"},
                        "page": {"slug": "page", "rest_base": "pages"},
                    },
                )
            if route is None:
                return (
                    404,
                    {},
                    _error(
                        "rest_no_route",
                        "No route was found matching the URL and request method.",
                        404,
                    ),
                )
            post_type = "post" if route.group(1) == "posts" else "page"
            post_id = int(route.group(2)) if route.group(2) else None
            if method == "GET" and post_id is None:
                return self._list(post_type, params, user)
            if method == "GET":
                return self._get(post_type, post_id, params, user)
            if method == "POST":
                return self._save(post_type, post_id, {**params, **body}, user)
            return (
                404,
                {},
                _error(
                    "rest_no_route", "No route was found matching the URL and request method.", 404
                ),
            )

    def _check_auth(self, header: str) -> str | None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            name, _, secret = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return None
        return name if (name, secret) == (self.user, self.password) else None

    def _can_edit(self, user: str | None) -> tuple[int, dict[str, Any]] | None:
        if user is None:
            return 401, _error(
                "rest_forbidden_context",
                "Sorry, you are not allowed to edit posts in this post type.",
                401,
            )
        if self.role != "editor":
            return 403, _error(
                "rest_forbidden_context",
                "Sorry, you are not allowed to edit posts in this post type.",
                403,
            )
        return None

    def _list(
        self, post_type: str, params: dict[str, str], user: str | None
    ) -> tuple[int, dict[str, str], Any]:
        edit = params.get("context") == "edit"
        if edit and (refused := self._can_edit(user)):
            return refused[0], {}, refused[1]
        wanted = params.get("status", "publish").split(",")
        if "any" in wanted:
            wanted = [s for s in ALL_STATUSES if s != "trash"]
        if wanted != ["publish"] and (refused := self._can_edit(user)):
            return (
                refused[0],
                {},
                _error("rest_forbidden_status", "Status is forbidden.", refused[0]),
            )
        posts = [p for p in self.posts.values() if p.type == post_type and p.status in wanted]
        lang = params.get("lang")
        if self.plugin == "wpml":  # WPML answers in the current language only
            lang = lang or self.default_lang
        if lang:
            posts = [p for p in posts if p.lang == lang]
        if "slug" in params:
            slugs = params["slug"].split(",")
            posts = [p for p in posts if p.slug in slugs]
        if "modified_after" in params:
            after = _parse_time(params["modified_after"])
            posts = [p for p in posts if p.modified_gmt > after]
        orderby = params.get("orderby", "date")
        sort_key = {
            "id": lambda p: (p.id,),
            "modified": lambda p: (p.modified_gmt, p.id),
            "date": lambda p: (p.date_gmt or p.modified_gmt, p.id),
        }[orderby]
        posts.sort(key=sort_key, reverse=params.get("order", "desc") == "desc")
        per_page = max(1, min(100, int(params.get("per_page", "10"))))
        page = int(params.get("page", "1"))
        pages = (len(posts) + per_page - 1) // per_page
        if page > 1 and page > pages:
            return (
                400,
                {},
                _error(
                    "rest_post_invalid_page_number",
                    "The page number requested is larger than the number of pages available.",
                    400,
                ),
            )
        shown = posts[(page - 1) * per_page : page * per_page]
        headers = {"X-WP-Total": str(len(posts)), "X-WP-TotalPages": str(pages)}
        return 200, headers, [self.as_json(p, edit=edit) for p in shown]

    def _get(
        self, post_type: str, post_id: int, params: dict[str, str], user: str | None
    ) -> tuple[int, dict[str, str], Any]:
        post = self.posts.get(post_id)
        if post is None or post.type != post_type:
            return 404, {}, _error("rest_post_invalid_id", "Invalid post ID.", 404)
        edit = params.get("context") == "edit"
        if (edit or post.status != "publish") and (refused := self._can_edit(user)):
            return refused[0], {}, refused[1]
        return 200, {}, self.as_json(post, edit=edit)

    def _save(
        self, post_type: str, post_id: int | None, fields: dict[str, Any], user: str | None
    ) -> tuple[int, dict[str, str], Any]:
        if user is None or self.role != "editor":
            code = 401 if user is None else 403
            return (
                code,
                {},
                _error(
                    "rest_cannot_create",
                    "Sorry, you are not allowed to create posts as this user.",
                    code,
                ),
            )
        links = fields.get("translations") or {}
        if isinstance(links, str):
            links = json.loads(links)
        for key, value in list(fields.items()):  # translations[en]=10 in a query string
            if m := re.fullmatch(r"translations\[(\w+)\]", key):
                links[m.group(1)] = int(value)
        now = self.tick()
        if post_id is None:
            post = StubPost(
                id=self._next_id,
                type=post_type,
                status=str(fields.get("status", "draft")),
                slug=str(fields.get("slug") or f"post-{self._next_id}"),
                title="",
                content="",
                lang=str(fields.get("lang") or self.default_lang),
                group=self._next_group,
                date_gmt=None,
                modified_gmt=now,
            )
            self._next_id += 1
            self._next_group += 1
            self.posts[post.id] = post
            status = 201
        else:
            found = self.posts.get(post_id)
            if found is None or found.type != post_type:
                return 404, {}, _error("rest_post_invalid_id", "Invalid post ID.", 404)
            post, status = found, 200
        for name in ("title", "content", "status", "slug"):
            if name in fields:
                setattr(post, name, str(fields[name]))
        if self.plugin == "polylang":
            post.lang = str(fields.get("lang") or post.lang)
            for linked in links.values():  # Polylang joins the posts in one group
                other = self.posts.get(int(linked))
                if other is not None:
                    post.group = other.group
        post.modified_gmt = now
        if post.status == "publish" and post.date_gmt is None:
            post.date_gmt = now
        return status, {}, self.as_json(post, edit=True)


class _Handler(BaseHTTPRequestHandler):
    site: WordPressStub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        return format_datetime(self.site.now, usegmt=True)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: dict[str, Any] = {}
        if raw and "json" in (self.headers.get("Content-Type") or ""):
            body = json.loads(raw)
        elif raw:
            body = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
        auth = self.headers.get("Authorization")
        status, headers, payload = self.site.answer(method, parts.path, params, body, auth)
        with self.site.lock:
            served = (
                tuple(p["id"] for p in payload)
                if isinstance(payload, list)
                else ((payload["id"],) if isinstance(payload, dict) and "id" in payload else ())
            )
            self.site.requests.append(
                Logged(method, parts.path, params, auth is not None, status, served)
            )
            stall = (
                self.site.stall_posts.pop(0) if method == "POST" and self.site.stall_posts else 0.0
            )
        if stall:
            time.sleep(stall)  # applied, but the client has given up by now
        text = payload if isinstance(payload, str) else json.dumps(payload)
        data = text.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header(
                "Content-Type", headers.pop("Content-Type", "application/json; charset=UTF-8")
            )
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


def _error(code: str, message: str, status: int) -> dict[str, Any]:
    return {"code": code, "message": message, "data": {"status": status}}


def _wp_time(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _parse_time(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)  # the site's zone is UTC


def _texturize(text: str) -> str:
    """wptexturize's best-known habit: apostrophes in text become &#8217;."""
    return _TEXT.sub(lambda m: m.group(1) + m.group(2).replace("'", "&#8217;"), text)


def running(**options: Any) -> Iterator[WordPressStub]:
    """A started stub, stopped afterwards (for fixtures)."""
    stub = WordPressStub(**options).start()
    try:
        yield stub
    finally:
        stub.stop()
