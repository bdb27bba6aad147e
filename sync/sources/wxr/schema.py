"""What a WXR file holds that transync reads, and the bounds the reader keeps.

The namespaces of every WXR version, the item and term fields kept (and the _Item field
each becomes), WPML's post meta, the statuses and types that are never posts, and the
limits that keep an export's memory bounded whatever its shape (see the package's
docstring for why each exists).
"""

from __future__ import annotations

from xml.parsers import expat

DEFAULT_POST_TYPES = ("post", "page")
#: TRANSYNC_MAX_DOCUMENT_BYTES's default: the largest title plus content of one item.
MAX_DOCUMENT_BYTES = 10_000_000
#: Never posts, whatever TRANSYNC_WP_POST_TYPES says.
SKIPPED_TYPES = frozenset({"attachment", "nav_menu_item", "revision"})
PUBLISHED = "publish"
DRAFT_STATUSES = frozenset({"draft", "pending", "future", "private"})
TRASHED = "trash"
#: Deleted or not a post of its own: skipped (``trashed``, ``not_content``) and counted.
SKIPPED_STATUSES = frozenset({TRASHED, "auto-draft", "inherit"})

_WXR_VERSIONS = ("1.0", "1.1", "1.2")
#: The wp: namespace of every WXR version, as WordPress (http) and WordPress.com (https)
#: write it.
WP_NAMESPACES = tuple(
    f"{scheme}://wordpress.org/export/{version}/"
    for scheme in ("http", "https")
    for version in _WXR_VERSIONS
)
CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"
WPML_LANGUAGE = "_wpml_import_language_code"
WPML_SOURCE_LANGUAGE = "_wpml_import_source_language_code"
WPML_GROUP = "_wpml_import_translation_group"
_WPML_META = frozenset({WPML_LANGUAGE, WPML_SOURCE_LANGUAGE, WPML_GROUP})
#: The taxonomy WPML (4.0 and later) registers while it is active: an export that has it
#: is of a WPML site, whose languages Tools → Export does not carry (WPML keeps them in
#: its own table, icl_translations).
WPML_TAXONOMY = "translation_priority"
#: The prefixes of the post meta WPML writes (_wpml_media_featured, _wpml_word_count,
#: _icl_lang_duplicate_of…): a trace of WPML, which may outlive the plugin.
WPML_META_PREFIXES = ("_wpml_", "_icl_")
#: _Item fields with a few distinct values (publish, post, page…), kept in front matter.
_REPEATED = frozenset({"status", "post_type"})

CHUNK = 1 << 16  # bytes read and parsed at a time; also expat's text buffer
SMALL_FIELD_BYTES = 1 << 16  # a link, guid, id, slug, date, status, meta value, term field
MAX_DTD_BYTES = 1 << 20
MAX_DEPTH = 256  # libxml2's own default limit
MAX_NAMES = 10_000  # distinct element and attribute names (a WXR has about 70)
_SEP = "\x1f"  # between namespace, local name and prefix: never in an XML name or URI

#: Item child -> _Item field, for every WXR version's namespace.
_ITEM_FIELDS: dict[str, str] = {
    "title": "title",
    "link": "link",
    "guid": "guid",
    "category": "category",
    f"{CONTENT_NAMESPACE}{_SEP}encoded": "content",
    **{
        f"{namespace}{_SEP}{tag}": name
        for namespace in WP_NAMESPACES
        for tag, name in (
            ("post_id", "post_id"),
            ("status", "status"),
            ("post_type", "post_type"),
            ("post_name", "slug"),
            ("post_date_gmt", "date_gmt"),
            ("postmeta", "postmeta"),
        )
    },
}
_TERMS = frozenset(f"{namespace}{_SEP}term" for namespace in WP_NAMESPACES)
_TERM_FIELDS = frozenset({"term_taxonomy", "term_slug", "term_description"})
_META_FIELDS = frozenset({"meta_key", "meta_value"})
_POST_TEXT = frozenset({"title", "content"})  # together bounded by max_bytes
#: expat error code -> its constant's name (XML_ERROR_TAG_MISMATCH…)
_ERRORS = {
    expat.errors.codes[message]: name
    for name, message in vars(expat.errors).items()
    if name.startswith("XML_ERROR_") and message in expat.errors.codes
}
