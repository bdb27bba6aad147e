"""What a write-back would drop from a Markdown translation (sync.segments.loss)."""

from __future__ import annotations

from sync.segments.loss import dropped_blocks

SOURCE = (
    "Gas matters.\n\nOil matters.\n\n```sh\nrun --all  # every file\n```\n\n[src]: /en/report\n"
)
TRANSLATION = (
    "Gaz önemli.\n\nPetrol önemli.\n\n```sh\nrun --all  # every file\n```\n\n[src]: /en/report\n"
)


def written(body: str) -> str:
    return body.replace("Petrol önemli.", "Petrol çok önemli.")


def test_a_translation_shaped_like_its_source_loses_nothing() -> None:
    assert dropped_blocks(TRANSLATION, written(TRANSLATION), SOURCE) == []


def test_a_block_only_the_translation_has_is_named() -> None:
    extra = TRANSLATION.replace(
        "Petrol önemli.\n", "Petrol önemli.\n\nÇevirmen notu: yalnız Türkçe.\n"
    )
    assert dropped_blocks(extra, written(TRANSLATION), SOURCE) == ["Çevirmen notu: yalnız Türkçe."]


def test_its_own_code_and_link_definitions_are_named() -> None:
    own = TRANSLATION.replace("# every file", "# her dosya").replace("/en/report", "/tr/rapor")
    assert dropped_blocks(own, written(TRANSLATION), SOURCE) == [
        "sh\nrun --all  # her dosya",
        "[src]: /tr/rapor",
    ]


def test_what_it_shares_with_its_source_may_follow_the_source() -> None:
    # the source changed its code block: the write-back takes the new one, nothing is lost
    new_source_code = written(TRANSLATION).replace("--all", "--all --quiet")
    assert dropped_blocks(TRANSLATION, new_source_code, SOURCE) == []


def test_a_block_the_translation_lacks_is_no_loss() -> None:
    shorter = "Gaz önemli.\n\n```sh\nrun --all  # every file\n```\n\n[src]: /en/report\n"
    assert dropped_blocks(shorter, written(TRANSLATION), SOURCE) == []


def test_a_kept_extra_block_is_no_loss() -> None:
    extra = TRANSLATION + "\nNot.\n"
    assert dropped_blocks(extra, written(TRANSLATION) + "\nNot.\n", SOURCE) == []
