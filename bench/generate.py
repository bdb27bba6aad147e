"""Generate a content tree of N posts in three languages, about 20 paragraphs each."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = {
    "en": ("energy security water policy corridor transport grain market labour migration "
           "climate adaptation heat rail investment region border trade pipeline port "
           "electricity storage agreement analysis institute report growth").split(),
    "tr": ("enerji güvenliği su politikası koridor ulaşım tahıl piyasa emek göç iklim uyum "
           "sıcaklık demiryolu yatırım bölge sınır ticaret boru hattı liman elektrik depolama "
           "anlaşma analiz enstitü rapor büyüme").split(),
    "ru": ("энергетическая безопасность водная политика коридор транспорт зерно рынок труд "
           "миграция климат адаптация жара железная дорога инвестиции регион граница торговля "
           "трубопровод порт электричество хранение соглашение анализ институт доклад рост").split(),
}


def paragraph(rng: random.Random, lang: str, n: int = 45) -> str:
    words = WORDS[lang]
    text = " ".join(rng.choice(words) for _ in range(n))
    return text[0].upper() + text[1:] + "."


def post_text(rng: random.Random, lang: str, i: int, paragraphs: int) -> str:
    blocks = []
    for p in range(paragraphs):
        if p % 7 == 3:
            blocks.append("## " + paragraph(rng, lang, 5).rstrip("."))
        else:
            blocks.append(paragraph(rng, lang))
    title = paragraph(rng, lang, 6).rstrip(".")
    return (f"---\ntitle: \"{title} {i}\"\ndate: 2026-01-01T00:00:00Z\ndraft: false\n"
            f"translationKey: post-{i:06d}\n---\n\n" + "\n\n".join(blocks) + "\n")


def generate(root: Path, posts: int, *, paragraphs: int = 20, seed: int = 7) -> int:
    """Write the tree (folder-per-language layout); returns the number of files."""
    files = 0
    for lang in ("en", "tr", "ru"):
        rng = random.Random(f"{seed}-{lang}")
        base = root / lang / "posts"
        for i in range(posts):
            d = base / f"{i // 1000:03d}"
            if i % 1000 == 0:
                d.mkdir(parents=True, exist_ok=True)
            (d / f"post-{i:06d}.md").write_text(post_text(rng, lang, i, paragraphs),
                                                encoding="utf-8")
            files += 1
    return files


def change_sources(root: Path, fraction: float, *, seed: int = 11) -> int:
    """Edit one paragraph in `fraction` of the English sources."""
    files = sorted((root / "en" / "posts").rglob("*.md"))
    rng = random.Random(seed)
    chosen = rng.sample(files, max(1, int(len(files) * fraction)))
    for path in chosen:
        text = path.read_text(encoding="utf-8")
        parts = text.split("\n\n")
        parts[2] = paragraph(rng, "en")
        path.write_text("\n\n".join(parts), encoding="utf-8")
    return len(chosen)
