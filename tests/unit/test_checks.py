"""Tests for sync.checks: what a translation must carry over from its source segment."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.checks import check_entry, check_segment

# -- ordinary prose: no problems ----------------------------------------------

TURKISH = [
    ("50% off everything", "Her şeyde %50 indirim"),
    ("Save 50%-60% today", "Bugün %50-%60 tasarruf edin"),
    ("I am 100% sure.", "%100 eminim."),
    ("In 2024, 100 people came.", "2024'te 100 kişi geldi."),
    ("It costs 1,000 lira and 3.5 kuruş.", "Fiyatı 1.000 lira ve 3,5 kuruş."),
    ("It is 10:30 on 3/4.", "Saat 10.30, 3.4'te."),
    ("The 1st and the 2nd.", "1. ve 2."),
    ("İstanbul is warm.", "İstanbul ılık; ISPARTA'da ıslak ılık İğdır."),
    (
        "We walked to the [Galata Bridge](https://example.com/galata) early.",
        "Sabah erkenden [Galata Köprüsü](https://example.com/galata)'ne yürüdük.",
    ),
    (
        '<abbr title="Republic of Türkiye">TC</abbr> flag, see the note.[^1]',
        '<abbr title="Türkiye Cumhuriyeti">TC</abbr> bayrağı, nota bakın.[^1]',
    ),
    ("A *day* in **Istanbul** with `code`", "**İstanbul**'da bir *gün*, `kod` ile"),
    ("Visit https://example.com/a_b.", "https://example.com/a_b'yi ziyaret edin."),
    ("snake_case and __init__", "snake_case ve __init__"),
]
RUSSIAN = [
    ('He said "hello" to 3 friends.', "Он сказал «привет» трём друзьям: их было 3."),
    ("It costs 1,000,000 rubles.", "Это стоит 1 000 000 рублей."),
    ("It costs 1000 rubles.", "Это стоит 1\u00a0000 рублей."),
    ("Pi is 3.14159.", "Число пи равно 3,14159."),
    ("We walked 5 km in 2 hours.", "Мы прошли 5 км за 2 часа."),
    ("«Quote» — dash", "«Цитата» — тире, „ещё“ и 'так'"),
    ("Price: $5.99", "Цена: 5,99 $"),
    ("Ё and й with combining e\u0301", "Ёлка и йод, и\u0306 с комбинирующим знаком"),
]


@pytest.mark.parametrize(("msgid", "msgstr"), TURKISH + RUSSIAN)
def test_ordinary_translations_pass(msgid: str, msgstr: str) -> None:
    assert check_entry(msgid, msgstr) == []


def test_an_untranslated_entry_has_no_problems() -> None:
    assert check_entry("Hello %(name)s", "") == []


# -- placeholders -------------------------------------------------------------


@pytest.mark.parametrize(
    ("msgid", "msgstr", "problems"),
    [
        ("Hello %(name)s", "Merhaba", ["placeholder %(name)s is missing"]),
        (
            "Hello %(name)s",
            "Merhaba %(isim)s",
            ["placeholder %(name)s is missing", "extra placeholder %(isim)s"],
        ),
        ("%d posts", "%d yazı, %s", ["extra placeholder %s"]),
        ("%s posts by %s", "%s yazı", ["placeholder %s is missing"]),
        ("%1$s by %2$s", "%2$s tarafından %1$s", []),
        ("%d%% done", "%%%d tamamlandı", []),
        ("%.2f kg", "%.2f kg", []),
        ("%-5s|", "%-5s|", []),
        ("%d of %s", "%d'in %s'i", []),
        (
            "Hello {name}",
            "Merhaba {isim}",
            ["placeholder {name} is missing", "extra placeholder {isim}"],
        ),
        ("{0} of {1}", "{1} içinde {0}", []),
        ("{count} posts", "{count} yazı {0}", ["extra placeholder {0}"]),
        ("{{literal}} and {x}", "{{literal}} ve", ["placeholder {x} is missing"]),
    ],
)
def test_placeholders(msgid: str, msgstr: str, problems: list[str]) -> None:
    assert check_entry(msgid, msgstr) == problems


def test_unnamed_placeholders_keep_their_order() -> None:
    assert check_entry("%s has %d posts", "%d yazısı var: %s") == [
        "placeholders %s %d are in another order (%d %s); unnamed placeholders must keep "
        "the source's order"
    ]


def test_percent_in_prose_is_not_a_placeholder() -> None:
    # Not a format string: "%o" in "%on" (ten percent) is prose.
    assert check_entry("Ten percent, 10%", "Yüzde on, %on ve %10") == []
    assert check_entry("Up to 10% off", "%10'a varan indirim") == []
    assert check_entry("Save 5% now", "Şimdi %5 tasarruf") == []


# -- HTML ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("msgid", "msgstr", "problems"),
    [
        (
            '<abbr title="HyperText">HTML</abbr> is fun',
            '<abbr title="HyperText">HTML eğlencelidir',
            ["HTML tag <abbr> is not closed"],
        ),
        ("<b>bold</b> text", "kalın metin", ["HTML tag <b> is missing"]),
        ("plain text", "<em>düz</em> metin", ["extra HTML tag <em>"]),
        (
            "<b>x</b> and <i>y</i>",
            "<b>x</b> ve <b>y</b>",
            ["HTML tag <i> is missing", "extra HTML tag <b>"],
        ),
        (
            "<b><i>x</i></b>",
            "<b><i>x</b></i>",
            ["HTML tag <i> is not closed before </b>", "closing tag </i> has no opening tag"],
        ),
        ("Line<br>break", "Satır<br/>sonu", []),
        ("<B>Loud</B>", "<b>Yüksek</b>", []),
        ("<details>", "<details>", []),  # a block split over segments
        ("</details>", "", []),
        ("</details>", "metin", ["closing tag </details> is missing"]),
        ("a < b and c > d", "a < b ve c > d", []),
        ("Mail <ali@example.com>", "E-posta <ali@example.com>", []),
        ("Use `<div>` here", "Burada `<div>` kullanın", []),
    ],
)
def test_html_tags(msgid: str, msgstr: str, problems: list[str]) -> None:
    assert check_entry(msgid, msgstr) == problems


# -- HTML attributes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("msgid", "msgstr"),
    [
        (
            '<abbr title="Custom Resource Definition">CRD</abbr>',
            '<abbr title="Определение пользовательского ресурса">CRD</abbr>',
        ),
        (
            '<img src="/images/pod.svg" alt="A Pod with two containers" width="200">',
            '<img width="200" alt="İki konteynerli bir Pod" src="/images/pod.svg">',
        ),
        (
            '<a href="https://kubernetes.io/docs/" class="btn" target="_blank">Docs</a>',
            "<a target='_blank' class=btn href=\"https://kubernetes.io/docs/\">Belgeler</a>",
        ),
        ('<a href="/a?x=1&amp;y=2">A</a>', '<a href="/a?x=1&y=2">Б</a>'),  # entities decoded
        ("<details open><summary>More</summary>", "<details open><summary>Ещё</summary>"),
        (
            '<span style="color: red" onclick="toggle()">Hot</span>',
            '<span onclick="toggle()" style="color: red">Горячо</span>',
        ),  # the source's own
        (
            '<img src="data:image/png;base64,iVBORw0K" alt="dot">',
            '<img src="data:image/png;base64,iVBORw0K" alt="точка">',
        ),
        ("Use `<a onclick=x>` in code", "В коде: `<a onclick=y>`"),  # code spans do not count
    ],
)
def test_html_attributes_that_pass(msgid: str, msgstr: str) -> None:
    assert check_entry(msgid, msgstr) == []


@pytest.mark.parametrize(
    ("msgid", "msgstr", "problems"),
    [
        (
            '<span class="term">Pod</span>',
            '<span class="terim">Pod</span>',
            [
                'HTML tag <span>: attribute class changed from "term" to "terim"; only title and '
                "alt may be translated"
            ],
        ),
        (
            '<img src="/images/pod.svg" alt="Pod" width="200">',
            '<img src="/images/pod.svg" alt="Под">',
            ["HTML tag <img>: attribute width is missing"],
        ),
        (
            "<b>Pods</b> run",
            '<b class="x">Поды</b> работают',
            ['HTML tag <b>: extra attribute class="x"'],
        ),
        (
            'A <b>x</b> and <b class="y">z</b>',
            'A <b class="y">x</b> ve <b>z</b>',
            [
                'HTML tag <b> (number 1): extra attribute class="y"',
                "HTML tag <b> (number 2): attribute class is missing",
            ],
        ),
        (
            '<a href="/docs/">Docs</a>',
            '<a href="/docs/" onclick="steal()">Документы</a>',
            [
                "HTML tag <a>: attribute onclick is not allowed unless the source has it, with the "
                "same value"
            ],
        ),
        (
            '<a href="/docs/" onclick="open()">Docs</a>',
            '<a href="/docs/" onclick="steal()">Документы</a>',
            [
                "HTML tag <a>: attribute onclick is not allowed unless the source has it, with the "
                "same value"
            ],
        ),
        (
            "<span>Hot</span>",
            '<span style="position:fixed;top:0">Горячо</span>',
            [
                "HTML tag <span>: attribute style is not allowed unless the source has it, "
                "with the same value"
            ],
        ),
        (
            "<iframe>",
            '<iframe srcdoc="&lt;script&gt;x()&lt;/script&gt;">',
            [
                "HTML tag <iframe>: attribute srcdoc is not allowed unless the source has it, with "
                "the same value"
            ],
        ),
        (
            "<button>Go</button>",
            '<button formaction="https://evil.example">Git</button>',
            [
                "HTML tag <button>: attribute formaction is not allowed unless the source has it, "
                "with the same value"
            ],
        ),
        (
            '<a href="/docs/">Docs</a>',
            '<a href="javascript:alert(1)">Документы</a>',
            ["HTML tag <a>: attribute href holds a javascript: URL that the source does not have"],
        ),
        (
            '<a href="/docs/">Docs</a>',
            '<a href="jav&#x61;script:alert(1)">Документы</a>',
            ["HTML tag <a>: attribute href holds a javascript: URL that the source does not have"],
        ),
        (
            '<a href="/docs/">Docs</a>',
            '<a href="java\tscript:alert(1)">Документы</a>',
            ["HTML tag <a>: attribute href holds a javascript: URL that the source does not have"],
        ),
        (
            '<a href="/docs/">Docs</a>',
            '<a href=" VBScript&colon;msgbox(1)">Документы</a>',
            ["HTML tag <a>: attribute href holds a vbscript: URL that the source does not have"],
        ),
        (
            '<img src="/images/pod.svg" alt="Pod">',
            '<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="Под">',
            ["HTML tag <img>: attribute src holds a data: URL that the source does not have"],
        ),
        # a tag the source does not have is refused, and its danger named
        (
            "Click",
            '<a href="javascript:go()">Нажмите</a>',
            [
                "extra HTML tag <a>",
                "HTML tag <a>: attribute href holds a javascript: URL that the source does not "
                "have",
            ],
        ),
    ],
)
def test_html_attribute_refusals(msgid: str, msgstr: str, problems: list[str]) -> None:
    assert check_entry(msgid, msgstr) == problems


@pytest.mark.parametrize(
    ("msgid", "msgstr", "problem"),
    [
        (
            "[Docs](/docs/)",
            "[Документы](javascript:alert(1))",
            "URL javascript:alert(1) is not allowed: a translation may not add javascript: links",
        ),
        (
            "[Docs](/docs/)",
            "[Документы](JaVa&#x53;cript:alert(1))",
            "URL JaVa&#x53;cript:alert(1) is not allowed: a translation may not add javascript: "
            "links",
        ),
        (
            "![Logo](/logo.png)",
            "![Логотип](<data:text/html;base64,PGI+>)",
            "URL data:text/html;base64,PGI+ is not allowed: a translation may not add data: links",
        ),
        (
            "See the docs",
            "Belgelere bakın <vbscript:msgbox(1)>",
            "URL vbscript:msgbox(1) is not allowed: a translation may not add vbscript: links",
        ),
    ],
)
def test_dangerous_markdown_links_are_refused(msgid: str, msgstr: str, problem: str) -> None:
    assert problem in check_entry(msgid, msgstr)


def test_a_dangerous_link_the_source_has_is_not_the_translators_doing() -> None:
    assert check_entry("[Run](javascript:run())", "[Запустить](javascript:run())") == []
    assert (
        check_entry(
            '<a href="javascript:run()">Run</a>', '<a href="javascript:run()">Запустить</a>'
        )
        == []
    )


# -- footnotes, URLs, numbers -------------------------------------------------


@pytest.mark.parametrize(
    ("msgid", "msgstr", "problems"),
    [
        ("See note[^1] and [2].", "Nota[^1] bakın.", ["footnote marker [2] is missing"]),
        (
            "A claim.[^source]",
            "Bir iddia.[^kaynak]",
            ["footnote marker [^source] is missing", "extra footnote marker [^kaynak]"],
        ),
        ("Read the [docs][1].", "Belgeleri [okuyun][1].", []),
        (
            "Visit [our site](https://example.com/a) or https://x.org/a.",
            "[Sitemizi](https://example.com/a) ziyaret edin.",
            ["URL https://x.org/a is missing"],
        ),
        (
            "See [the post](/en/posts/x).",
            "[Yazıya](/tr/posts/x) bakın.",
            ["URL /en/posts/x is missing", "extra URL /tr/posts/x"],
        ),
        ("(see https://x.org/a)", "(bkz. «https://x.org/a»)", []),
        (
            "[Wiki](https://en.wikipedia.org/wiki/Foo_(bar))",
            "[Viki](https://en.wikipedia.org/wiki/Foo_(bar))",
            [],
        ),
        (
            "In 2024, 100 people",
            "2023'te 100 kişi",
            ["number 2024 is missing", "extra number 2023"],
        ),
        ("We walked 5 km in two hours.", "Мы прошли 5 км за 2 часа.", ["extra number 2"]),
        ("It costs 1000 dollars", "Стоит 1 000 долларов", []),
        (
            "It costs 1,000 dollars",
            "Стоит 1 001 доллар",
            ["number 1,000 is missing", "extra number 1 001"],
        ),
        ("Chapter 3", "Глава ٣", []),  # Arabic-Indic digit three
        ("A&#8212;B &amp; 2", "A — B ve 2", []),  # entities are not numbers
        # digits inside tags, URLs and placeholders are not numbers
        ("Open <h2> at https://x.org/2024/5 with {0}", "<h2>, https://x.org/2024/5, {0}", []),
    ],
)
def test_footnotes_urls_numbers(msgid: str, msgstr: str, problems: list[str]) -> None:
    assert check_entry(msgid, msgstr) == problems


# -- Markdown and white space -------------------------------------------------


@pytest.mark.parametrize(
    ("msgid", "msgstr", "problems"),
    [
        (
            "This is *very* **important** and `code`",
            "Bu çok **önemli** ve kod",
            [
                "Markdown emphasis marker * is missing: 2 in the source, 0 in the translation",
                "Markdown code marker ` is missing: 2 in the source, 0 in the translation",
            ],
        ),
        (
            "Plain",
            "**Kalın**",
            ["Markdown bold marker ** is extra: 0 in the source, 2 in the translation"],
        ),
        (
            "an _emphasis_",
            "bir vurgu",
            ["Markdown emphasis marker _ is missing: 2 in the source, 0 in the translation"],
        ),
        ("2 * 3 = 6", "2 × 3 = 6", []),
        (r"A \*literal\* star", "Gerçek bir yıldız", []),
        (" leading", "başta", ["leading white space ' ' is missing"]),
        ("trailing\n", "sonda", ["trailing white space '\\n' is missing"]),
        ("none", "hiç ", ["extra trailing white space ' '"]),
        (
            "\tx",
            "  x",
            ["leading white space differs: '\\t' in the source, '  ' in the translation"],
        ),
    ],
)
def test_markdown_and_white_space(msgid: str, msgstr: str, problems: list[str]) -> None:
    assert check_entry(msgid, msgstr) == problems


BREAKS_LOST = (
    "the source has 2 line breaks (a backslash at the end of the line) and the translation "
    "only plain new lines, which Markdown reads as spaces: end the line with a backslash, as "
    "the source does, or write the translation on one line"
)


@pytest.mark.parametrize(
    ("msgid", "msgstr", "problems"),
    [
        ("Street 12\\\nÇankaya\\\nAnkara", "Cadde 12\nÇankaya\nAnkara", [BREAKS_LOST]),
        ("Street 12\\\nÇankaya\\\nAnkara", "Cadde 12\r\nÇankaya\r\nAnkara", [BREAKS_LOST]),
        ("Street 12\\\nÇankaya\\\nAnkara", "Cadde 12\\\nÇankaya\\\nAnkara", []),
        ("Street 12\\\nÇankaya\\\nAnkara", "Cadde 12  \nÇankaya\nAnkara", []),  # spaces
        ("Street 12\\\nÇankaya\\\nAnkara", "Cadde 12, Çankaya, Ankara", []),  # one line
        ("Street 12<br>Ankara", "Cadde 12<br>Ankara", []),  # HTML: <br> is a tag
        ("Street 12 Ankara", "Cadde 12\nAnkara", []),  # no break to lose
    ],
)
def test_hard_breaks_written_as_plain_new_lines(
    msgid: str, msgstr: str, problems: list[str]
) -> None:
    assert check_entry(msgid, msgstr) == problems
    assert [p for p in check_segment(msgid, msgstr) if "line break" in p] == problems


def test_every_problem_is_reported_together() -> None:
    problems = check_entry(
        " <b>Hello</b> %(name)s, see [^1] and https://x.org: 5 items",
        "Merhaba, 6 öğe",
    )
    assert problems == [
        "leading white space ' ' is missing",
        "placeholder %(name)s is missing",
        "HTML tag <b> is missing",
        "footnote marker [^1] is missing",
        "URL https://x.org is missing",
        "number 5 is missing",
        "extra number 6",
    ]


# -- properties ---------------------------------------------------------------

PIECES = st.sampled_from(
    [
        "%s",
        "%(name)s",
        "%d",
        "%%",
        "%50",
        "{0}",
        "{name}",
        "{{x}}",
        "<b>",
        "</b>",
        "<br>",
        "<a href='https://x.org/a'>",
        "</a>",
        "[^1]",
        "[2]",
        "https://example.com/a_(b)",
        "](/tr/x)",
        "1,000",
        "3.5",
        "1 000",
        "*",
        "**",
        "_",
        "__",
        "`",
        "\\*",
        " ",
        "\n",
        "\t",
        "«",
        "»",
        "İ",
        "ı",
        "ё",
        "e\u0301",
        "'",
        '"',
        "<",
        ">",
        "(",
        ")",
        "[",
        "]",
        "{{< note >}}",
        "{{< /note >}}",
        "{{% capture overview %}}",
        "{{</* x */>}}",
        "{{<",
        ">}}",
        '{{< glossary_tooltip text="a 1" term_id="b_2" >}}',
        "{{< tab />}}",
        "/ru",
        "](/",
        "<a onclick='x()' style=a>",
        '<img src="java&#x61;script:x" alt=y>',
        "javascript:",
        "=",
    ]
)
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=20).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_a_text_is_a_perfect_translation_of_itself(text: str) -> None:
    assert check_entry(text, text) == []


@settings(max_examples=300, deadline=None)
@given(TEXT, TEXT)
def test_problems_are_sentences(msgid: str, msgstr: str) -> None:
    problems = check_entry(msgid, msgstr)
    assert all(isinstance(p, str) and p for p in problems)
    if msgstr == "":
        assert problems == []


def test_pathological_input() -> None:
    """Unclosed quotes, backticks and brackets: no catastrophic regex backtracking."""
    nasty = ('<a "' * 2000) + ("`" * 2001) + ("[" * 2000) + ("%(" * 2000) + ("1," * 2000)
    assert check_entry(nasty, nasty) == []
    assert "Markdown code marker ` is missing: 2001 in the source, 0 in the translation" in (
        check_entry(nasty, nasty.replace("`", ""))
    )


@pytest.mark.parametrize(
    "broken",
    [
        "Plan (Yemek](https://x.org/f) yapıyor.",  # a bracket typed as a parenthesis
        "Plan [Yemek] (https://x.org/f) yapıyor.",  # a space before the target
        "Plan [Yemek](https://x.org/f yapıyor.",  # the closing parenthesis lost
        "Plan Yemek https://x.org/f yapıyor.",  # the link written out as text
    ],
)
def test_a_link_the_translation_no_longer_writes_as_a_link_is_named(broken: str) -> None:
    """The URL check found the target in each of these and passed them, so the page showed
    the broken Markdown as text and the link was gone."""
    problems = check_entry("The [Food](https://x.org/f) plan is out.", broken, lang="tr")
    assert problems == [
        "link https://x.org/f is no longer a Markdown link: write it as [text](https://x.org/f)"
    ]


def test_links_and_images_kept_or_localized_pass_the_link_syntax_check() -> None:
    assert check_entry("![A chart](/i/c.png) [the plan](/p/)", "![Grafik](/i/c.png) [plan](/tr/p/)",
                       lang="tr") == []  # fmt: skip
    assert check_entry(
        "See ![the chart](https://x.org/c.png).", "Bkz. grafik https://x.org/c.png.", lang="tr"
    ) == [
        "image https://x.org/c.png is no longer a Markdown image: write it as "
        "![text](https://x.org/c.png)"
    ]
    # a target the translation lost altogether is the URL check's to name
    assert check_entry("See [it](https://x.org/).", "Bkz.", lang="tr") == [
        "URL https://x.org/ is missing"
    ]
