"""The WordPress source: ``wp:URL`` read through the REST API, with Polylang or WPML.

Reading. Posts and pages (``TRANSYNC_WP_POST_TYPES``) are listed from
``/wp-json/wp/v2/<type>``, 100 a page, following ``X-WP-TotalPages``. Most scans are
incremental: ``orderby=modified&order=asc&modified_after=<cursor>`` asks only for what
changed, so versions not mentioned are kept and a trashed post is reported as deleted.
Every ``TRANSYNC_WP_RECONCILE_HOURS`` (and on the first scan) a full pass lists every
post in id order; only a full pass can notice a post deleted for good, so only it is
``complete``. Linking or unlinking translations saves only the post edited, so an
incremental read also reads, by id, the posts the tracker holds under a listed group's
key that the group no longer names (one the site no longer has is deleted then).

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

Layout: ``site`` (WordPressSite) is made of ``listing`` (the cursor, reconciliation and
pages) and ``writing`` (write-back with its conflict checks), both over ``posts`` (plugin
fields, languages, translation groups, documents) and ``rest`` (HTTP with retries, errors).
"""

from __future__ import annotations

from sync.sources.wordpress.site import WordPressSite

__all__ = ["WordPressSite"]
