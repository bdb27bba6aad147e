"""A Hugo site's `.html` content keeps its shortcodes. The HTML reader escaped them
(`{{&lt; figure … &gt;}}`, which Hugo no longer takes for a shortcode), so a write-back
broke every figure, and one inside an attribute (`href="{{< relref "x.md" >}}"`) garbled
the segment and made the task impossible to finish. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sync.config import Settings
from tests.helpers.tracking import add_people, assigned, cell, scan, task_po, transync

PAGE = (
    "---\ntitle: Gallery\n---\n<p>Our new office.</p>\n"
    '{{< figure src="office.jpg" caption="The office" >}}\n'
    '<p>Read <a href="{{< relref "about.md" >}}">about us</a>.</p>\n'
)
TURKISH = {
    "Gallery": "Galeri",
    "Our new office.": "Yeni ofisimiz.",
    '{{< figure src="office.jpg" caption="The office" >}}': (
        '{{< figure src="office.jpg" caption="Ofis" >}}'
    ),
    'Read <a href="{{< relref "about.md" >}}">about us</a>.': (
        'Hakkımızda <a href="{{< relref "about.md" >}}">okuyun</a>.'
    ),
}


def test_shortcodes_in_an_html_page_come_back_as_shortcodes(
    settings: Settings, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts/gallery.html").write_text(PAGE, encoding="utf-8")
    add_people(settings)
    assert not scan(settings, content).problems
    task_id = assigned(settings, "posts/gallery", "tr", "ayse")
    path = tmp_path / "gallery.po"
    po = task_po(settings, task_id, path)
    assert sorted(e.msgid for e in po) == sorted(TURKISH)  # as the page writes them
    for entry in po:
        entry.msgstr = TURKISH[entry.msgid]
    po.save(str(path))
    code, out, err = transync(settings, "submit", str(task_id), str(path), "--as", "ayse")
    assert code == 0, out + err
    written = (content / "posts/gallery.tr.html").read_text(encoding="utf-8")
    assert '{{< figure src="office.jpg" caption="Ofis" >}}' in written, written
    assert '<a href="{{< relref "about.md" >}}">okuyun</a>' in written, written
    assert "&lt;" not in written and "&gt;" not in written
    scan(settings, content)
    assert cell(settings, "posts/gallery", "tr")["state"] == "current"
