"""WordPress for real (issue 16): `transync scan wp:URL` over the REST API of the test suite's
WordPress (tests/wordpress: Debian's WordPress on PHP's built-in server, a private MariaDB,
the must-use plugin publishing Polylang Pro's `lang` and `translations`), filled with 2,000
posts × 3 languages linked as Polylang translation groups. Measured in one run: the first
scan (an empty database, per backend), then 20 edits made through WordPress's PHP API and
the incremental scan, beside `curl` fetching the very pages the scan fetched (the URLs the
harness's proxy logged for that scan: same query, same application password, one at a time
as the scan asks for them).

PHP's built-in server runs each request in a single thread; the harness starts it with
PHP_CLI_SERVER_WORKERS=2 (two forked workers, one request each at a time). The scan asks for
one page at a time, so does curl; what the server spends is what curl measures.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench.common import (
    BenchError,
    Ctx,
    count_rows,
    median,
    migrate,
    peak,
    row,
    run_measured,
    transync,
)
from bench.generate import LANGS, _html_body, paragraph

AREA = "wordpress"
GROUPS = 2000  # posts in three languages: 6,000 WordPress posts
SMALL_GROUPS = 300  # --scale small
EDITS = 20
FIRST_TARGET = 1.5  # first scan ≤ 1.5 × curl fetching the same pages
INCREMENTAL_TARGET = 2.0  # seconds
BLOCKS = 20  # Gutenberg blocks a post, as the WXR benchmark's posts

#: Run by php-cli once: every post of the site through wp_insert_post (as the editor, so
#: kses leaves the blocks alone), its language set and its group linked as Polylang keeps
#: it (a post_translations term whose description is the serialized map), in one process
#: and one transaction; then every date moved back `age_hours`, so that an incremental read
#: after the first scan sees only what was edited since.
BULK_PHP = r"""<?php
$docroot = $argv[1];
$in = json_decode( stream_get_contents( STDIN ), true );
$_SERVER['HTTP_HOST'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
require $docroot . '/wp-load.php';
global $wpdb;
wp_set_current_user( get_user_by( 'login', 'editor' )->ID );
wp_defer_term_counting( true );
wp_defer_comment_counting( true );
remove_action( 'publish_post', '_publish_post_hook', 5 ); // no pings, no cron event a post
$wpdb->query( 'START TRANSACTION' );
// an empty site: WordPress's sample post and pages go (they have no language)
$sample = array( 'post_type' => 'any', 'post_status' => 'any', 'numberposts' => -1,
	'fields' => 'ids' );
foreach ( get_posts( $sample ) as $old ) {
	wp_delete_post( $old, true );
}
$ids = array();
foreach ( $in['groups'] as $group ) {
	$map = array();
	foreach ( $group as $post ) {
		$id = wp_insert_post( wp_slash( array(
			'post_title' => $post['title'], 'post_content' => $post['content'],
			'post_status' => 'publish', 'post_type' => 'post', 'post_name' => $post['slug'],
		) ), true );
		if ( is_wp_error( $id ) ) {
			fwrite( STDERR, $id->get_error_message() . "\n" );
			exit( 1 );
		}
		wp_set_object_terms( $id, $post['lang'], 'language' );
		$map[ $post['lang'] ] = (int) $id;
	}
	$slug = 'pll_' . min( $map );
	$term = wp_insert_term( $slug, 'post_translations',
		array( 'slug' => $slug, 'description' => serialize( $map ) ) );
	if ( is_wp_error( $term ) ) {
		fwrite( STDERR, $term->get_error_message() . "\n" );
		exit( 1 );
	}
	foreach ( $map as $id ) {
		wp_set_object_terms( $id, (int) $term['term_id'], 'post_translations' );
	}
	$ids[] = $map;
}
$hours = (int) $in['age_hours'];
foreach ( array( 'post_date', 'post_date_gmt', 'post_modified', 'post_modified_gmt' ) as $column ) {
	$wpdb->query( "UPDATE $wpdb->posts SET $column = $column - INTERVAL $hours HOUR
		WHERE $column <> '0000-00-00 00:00:00'" );
}
$wpdb->query( 'COMMIT' );
wp_defer_term_counting( false );
wp_cache_flush();
echo "\n@@transync@@\n" . json_encode( $ids );
"""


def groups(count: int, *, seed: int = 16) -> list[list[dict[str, str]]]:
    """`count` translation groups: an English post, its Turkish and Russian translations,
    each of BLOCKS Gutenberg blocks (paragraphs, headings, lists), about 6 KB."""
    rng = random.Random(seed)
    out = []
    for g in range(count):
        out.append(
            [
                {
                    "lang": lang,
                    "slug": f"post-{g}-{lang}",
                    "title": f"{paragraph(rng, lang, 6).rstrip('.')} {g}",
                    "content": _html_body(rng, lang, BLOCKS),
                }
                for lang in LANGS
            ]
        )
    return out


def fill(site: Any, count: int) -> list[dict[str, int]]:
    """Every post of the site made in one php-cli run; the ids of each group by language."""
    script = site.folder / "bulk.php"
    script.write_text(BULK_PHP)
    payload = json.dumps({"groups": groups(count), "age_hours": 2})
    done = subprocess.run(
        [shutil.which("php") or "php", *site.php_options(), str(script), str(site.docroot)],
        input=payload,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode or "@@transync@@" not in done.stdout:
        raise BenchError(
            f"bulk.php failed ({done.returncode}): {done.stderr.strip()[-1000:]}"
            f"{done.stdout.strip()[-300:]}"
        )
    return list(json.loads(done.stdout.rsplit("@@transync@@", 1)[1]))


def edits(
    site: Any, made: list[list[dict[str, str]]], ids: list[dict[str, int]], count: int, round_: int
) -> float:
    """`count` English posts edited through WordPress's PHP API (wp_update_post, as wp-admin
    saves: a revision is kept): one paragraph rewritten each. Seconds the php-cli run took."""
    rng = random.Random(f"edits-{round_}")
    ops = []
    for g in rng.sample(range(len(ids)), count):
        post = made[g][0]
        head, sep, tail = post["content"].partition("<p>")
        new = f"{paragraph(rng, 'en', 30)} (edit {round_})"
        post["content"] = f"{head}{sep}{new}{tail[tail.index(' <em>') :]}"
        ops.append({"op": "update", "id": ids[g]["en"], "content": post["content"]})
    t0 = time.perf_counter()
    site.php(*ops)
    return time.perf_counter() - t0


def fetched(site: Any) -> list[str]:
    """The GET requests the proxy passed to WordPress since it was cleared, as URLs."""
    return [f"{site.url}{target}" for method, target in site.proxy.requests if method == "GET"]


def curl(site: Any, urls: list[str], work: Path, *, parallel: bool = False) -> tuple[float, int]:
    """One curl process fetching `urls` one after the other (or two at a time): seconds and
    bytes. The application password goes in a config file, as the scan sends it (Basic)."""
    config = work / "curl.cfg"
    lines = [
        f'user = "{site.user}:{site.password}"',
        'header = "Accept: application/json"',
        'write-out = "%{http_code} %{size_download}\\n"',
        "silent",
        "show-error",
    ]
    for url in urls:
        lines += [f'url = "{url}"', 'output = "/dev/null"']
    config.write_text("\n".join(lines) + "\n")
    os.chmod(config, 0o600)
    argv = ["curl", "-K", str(config)] + (["--parallel", "--parallel-max", "2"] if parallel else [])
    done = run_measured(argv)
    answers = [line.split() for line in done.stdout.split("\n") if line.strip()]
    if len(answers) != len(urls) or any(code != "200" for code, _ in answers):
        raise BenchError(
            f"curl: {len(answers)} answers for {len(urls)} URLs, codes "
            f"{sorted({code for code, _ in answers})}"
        )
    return done.seconds, sum(int(size) for _, size in answers)


def listed(urls: list[str]) -> str:
    """What the scan asked for, in short: pages per listing and the query they share."""
    paths: dict[str, int] = {}
    query: dict[str, list[str]] = {}
    for url in urls:
        parts = urlsplit(url)
        paths[parts.path] = paths.get(parts.path, 0) + 1
        query = {k: v for k, v in parse_qs(parts.query).items() if k != "page"}
    shown = ", ".join(f"{path.rsplit('/', 1)[-1]} ×{n}" for path, n in paths.items())
    asked = "&".join(f"{k}={v[0]}" for k, v in sorted(query.items()))
    return f"{len(urls)} GETs ({shown}) ?{asked}"


def server_cpu(site: Any) -> float:
    """CPU seconds (user and system) WordPress's processes have used so far: PHP's server,
    its workers and MariaDB, read from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    roots = {site.server.pid, site.db.process.pid}
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(entry.name) in roots or int(fields[1]) in roots:  # fields[1]: the parent
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / tick


def load() -> str:
    """The load average now (the machine is shared): as `uptime` shows it."""
    return "load " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run(ctx: Ctx) -> None:
    from tests.wordpress.harness import Unavailable, WordPress, missing

    count = GROUPS if ctx.scale_name == "full" else SMALL_GROUPS
    common = {"size": count, "size_unit": "posts"}
    if gone := missing():
        ctx.fail(
            AREA,
            "scan wp:URL (setup)",
            BenchError(f"not installed: {', '.join(gone)} (make system-deps)"),
            **common,
        )
        return
    # a short folder: MariaDB's socket path must stay under 108 bytes
    folder = Path(tempfile.mkdtemp(prefix="transync-wpbench-"))
    site = None
    try:
        t0 = time.perf_counter()
        site = WordPress.start(folder)
        started = time.perf_counter() - t0
        made = groups(count)
        t0 = time.perf_counter()
        ids = fill(site, count)
        filled = time.perf_counter() - t0
        ctx.log(
            f"WordPress up in {started:.1f} s; {3 * count:,} posts made in {filled:.1f} s "
            "(one php-cli run)"
        )
        ctx.add(
            row(
                AREA,
                "fill: posts × 3 languages through wp_insert_post (one php-cli run)",
                runs=[filled],
                n=3 * count,
                unit="WordPress posts",
                **common,
                notes=f"setup, not a target; WordPress and MariaDB started in {started:.1f} s",
            )
        )
        rounds = 0
        for backend in ctx.backends:
            try:
                rounds = one(ctx, site, backend, made, ids, count, rounds)
            except Exception as exc:  # noqa: BLE001 - recorded; the other backend goes on
                ctx.fail(AREA, "scan wp:URL", exc, backend=backend, **common)
    except Unavailable as exc:
        ctx.fail(AREA, "scan wp:URL (setup)", exc, **common)
    finally:
        if site is not None:
            site.stop()
        shutil.rmtree(folder, ignore_errors=True)


def one(
    ctx: Ctx,
    site: Any,
    backend: str,
    made: list[list[dict[str, str]]],
    ids: list[dict[str, int]],
    count: int,
    rounds: int,
) -> int:
    """First scans (each on an empty database, each beside a curl run of the same pages),
    then rounds of 20 edits and an incremental scan (each beside curl). The next round."""
    common = {"backend": backend, "size": count, "size_unit": "posts", "rss_how": "child ru_maxrss"}
    posts = 3 * count
    env_extra = {
        "TRANSYNC_LANGUAGES": "en,tr,ru",
        "TRANSYNC_WP_USER": site.user,
        "TRANSYNC_WP_APP_PASSWORD": site.password,
    }
    spec = f"wp:{site.url}"
    firsts, curls, urls, sizes, loads, served, fed = [], [], [], [], [], [], []
    url = ""
    for attempt in range(ctx.repeat):
        if url:
            ctx.drop_db(url)
        url = ctx.new_db(backend, f"wp{count}")
        migrate(url)
        env = ctx.env(url, **env_extra)
        site.proxy.requests.clear()
        loads.append(load())
        before = server_cpu(site)
        firsts.append(transync(env, "scan", spec))
        served.append(server_cpu(site) - before)
        urls = fetched(site)
        before = server_cpu(site)
        seconds, size = curl(site, urls, ctx.work)
        fed.append(server_cpu(site) - before)
        curls.append(seconds)
        sizes.append(size)
        ctx.log(
            f"{backend} first scan {attempt + 1}: {firsts[-1].seconds:.1f} s (CPU: "
            f"{firsts[-1].cpu or 0:.1f} s transync, {served[-1]:.1f} s WordPress); curl "
            f"{seconds:.1f} s ({size / 1e6:.0f} MB, {len(urls)} pages); {loads[-1]}"
        )
    versions = count_rows(url, "versions")["versions"]
    if versions != posts:
        raise BenchError(f"the first scan recorded {versions} versions, not {posts}")
    first = median(p.seconds for p in firsts)
    ref = median(curls)
    parallel, _ = curl(site, urls, ctx.work, parallel=True)
    ctx.add(
        row(
            AREA,
            "transync scan wp:URL, first (empty database)",
            runs=[p.seconds for p in firsts],
            n=posts,
            unit="WordPress posts",
            reference="curl, the same pages one after the other",
            ref_seconds=ref,
            peak_rss_mb=peak(p.rss_mb for p in firsts),
            growth=False,
            **common,
            target=f"≤ {FIRST_TARGET}× curl",
            meets=first <= FIRST_TARGET * ref,
            notes=f"{listed(urls)}; {median(sizes) / 1e6:.0f} MB; curl runs "
            f"{', '.join(f'{c:.1f}' for c in curls)} s (the server's time: "
            f"{ref / first:.0%} of the scan); two at a time (curl --parallel-max 2, "
            f"the scan does not): {parallel:.1f} s; CPU during the scan (median): "
            f"transync {median(p.cpu or 0 for p in firsts):.1f} s, WordPress (PHP and "
            f"MariaDB) {median(served):.1f} s (during curl: {median(fed):.1f} s), on "
            f"{os.cpu_count()} CPUs; before each scan: "
            f"{'; '.join(loads)}",
        )
    )
    incs, curls, counted, loads = [], [], [], []
    for _ in range(ctx.repeat):
        rounds += 1
        edited = edits(site, made, ids, EDITS, rounds)
        site.proxy.requests.clear()
        loads.append(load())
        incs.append(transync(env, "scan", spec))
        urls = fetched(site)
        seconds, size = curl(site, urls, ctx.work)
        curls.append(seconds)
        counted.append(size)
        ctx.log(
            f"{backend} incremental scan {rounds}: {incs[-1].seconds:.2f} s after "
            f"{EDITS} edits ({edited:.1f} s); curl {seconds:.2f} s; {loads[-1]}"
        )
    inc = median(p.seconds for p in incs)
    ctx.add(
        row(
            AREA,
            f"transync scan wp:URL, incremental after {EDITS} edits",
            runs=[p.seconds for p in incs],
            n=EDITS,
            unit="edited posts",
            reference="curl, the same pages one after the other",
            ref_seconds=median(curls),
            peak_rss_mb=peak(p.rss_mb for p in incs),
            **common,
            target=f"≤ {INCREMENTAL_TARGET:g} s",
            meets=inc <= INCREMENTAL_TARGET,
            notes=f"{listed(urls)}; {median(counted) / 1e3:.0f} kB; {posts:,} posts "
            "in the database; edits through wp_update_post (php-cli); before each "
            f"scan: {'; '.join(loads)}",
        )
    )
    ctx.drop_db(url)
    return rounds
