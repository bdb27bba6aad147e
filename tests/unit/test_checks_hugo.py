"""Tests for sync.checks on Hugo content: shortcodes, and links that gain the language prefix."""

from __future__ import annotations

import pytest

from sync.checks import check_entry, shortcode_problems

# -- shortcodes: what must pass -----------------------------------------------

PASSING = [
    # the text parameter translated, the term kept (Kubernetes' glossary)
    (
        "Kubernetes is a portable platform for managing "
        '{{< glossary_tooltip text="containerized" term_id="container" >}} workloads.',
        "Kubernetes — это переносимая платформа для управления "
        '{{< glossary_tooltip text="контейнеризированными" term_id="container" >}} '
        "рабочими нагрузками.",
    ),
    (
        'A {{< glossary_tooltip text="cluster" term_id="cluster" >}} has nodes.',
        'Bir {{< glossary_tooltip term_id="cluster" text="küme" >}} düğümlerden oluşur.',
    ),
    # blocks split over segments: an opening or a closing one alone
    ("{{< note >}}", "{{< note >}}"),
    ("Pods are ephemeral. {{< /note >}}", "Поды эфемерны. {{< /note >}}"),
    ("{{% capture overview %}}", "{{% capture overview %}}"),
    ("{{<note>}} Read this.", "{{< note >}} Прочтите это."),
    # figure: alt and caption are prose (their numbers and emphasis are checked as prose)
    (
        '{{< figure src="/images/docs/components-of-kubernetes.svg" alt="Components of '
        'Kubernetes" caption="Figure 1: the *components*" class="diagram-large" >}}',
        '{{< figure src="/images/docs/components-of-kubernetes.svg" caption="Рисунок 1: '
        '*компоненты*" alt="Компоненты Kubernetes" class="diagram-large" >}}',
    ),
    # a ref inside a Markdown link target belongs to the shortcode check, not the URL one
    (
        'Read the [overview]({{< ref "docs/concepts/overview" >}}) first.',
        'Сначала прочтите [обзор]({{< ref "docs/concepts/overview" >}}).',
    ),
    # numbers, underscores and % inside parameters are the shortcode's
    (
        '{{< feature-state for_k8s_version="v1.19" state="stable" >}} It is 100% stable.',
        '{{< feature-state for_k8s_version="v1.19" state="stable" >}} Tamamen %100 kararlı.',
    ),
    ('{{< codenew file="pods/simple_pod.yaml" >}}', '{{< codenew file="pods/simple_pod.yaml" >}}'),
    ('{{< tab name="Tab 1" />}}', '{{< tab name="Tab 1" />}}'),
    # quoting may change when the value does not
    ("{{< tabs name=tab_with_code >}}", '{{< tabs name="tab_with_code" >}}'),
    # an escaped shortcode is text that stays as written
    (
        "Write `{{</* note */>}}` to open a note.",
        "Чтобы открыть примечание, напишите `{{</* note */>}}`.",
    ),
    # parameters over several lines
    (
        '{{< figure\n    src="/images/x.png"\n    alt="A diagram"\n>}}',
        '{{< figure\n    src="/images/x.png"\n    alt="Диаграмма"\n>}}',
    ),
    # Go templates are not shortcodes
    ("The title is {{ .Title }}.", "Başlık {{ .Title }}."),
]


@pytest.mark.parametrize(("msgid", "msgstr"), PASSING)
def test_shortcodes_that_pass(msgid: str, msgstr: str) -> None:
    assert check_entry(msgid, msgstr, lang="ru") == []


# -- shortcodes: refusals -----------------------------------------------------


@pytest.mark.parametrize(
    ("msgid", "msgstr", "problems"),
    [
        (
            'A {{< glossary_tooltip text="cluster" term_id="cluster" >}} runs.',
            'Bir {{< glossary_tooltip text="küme" term_id="kume" >}} çalışır.',
            [
                'shortcode glossary_tooltip: parameter term_id changed from "cluster" to "kume"; '
                "only text, title, alt, caption may be translated"
            ],
        ),
        (
            "Pods are ephemeral. {{< /note >}}",
            "Поды эфемерны.",
            ["shortcode {{< /note >}} is missing"],
        ),
        (
            "{{< note >}} Pods are ephemeral.",
            "{{< caution >}} Поды эфемерны.",
            ["shortcode {{< note >}} is missing", "extra shortcode {{< caution >}}"],
        ),
        (
            "{{% capture overview %}}",
            "{{% capture обзор %}}",
            [
                'shortcode capture: positional parameter 1 changed from "overview" to "обзор"; '
                "positional parameters may not be translated"
            ],
        ),
        (  # the delimiters decide how Hugo renders the inner text: they must stay
            "{{< note >}}",
            "{{% note %}}",
            ["shortcode {{< note >}} is missing", "extra shortcode {{% note %}}"],
        ),
        (
            '{{< tab name="Tab 1" />}}',
            '{{< tab name="Tab 1" >}}',
            [
                'shortcode {{< tab name="Tab 1" />}} is missing',
                'extra shortcode {{< tab name="Tab 1" >}}',
            ],
        ),
        (
            'Read the [overview]({{< ref "docs/concepts/overview" >}}) first.',
            'Сначала прочтите [обзор]({{< ref "ru/docs/concepts/overview" >}}).',
            [
                'shortcode ref: positional parameter 1 changed from "docs/concepts/overview" to '
                '"ru/docs/concepts/overview"; positional parameters may not be translated'
            ],
        ),
        (
            '{{< highlight go "linenos=table,hl_lines=8 15-17" >}}',
            "{{< highlight go >}}",
            [
                'shortcode highlight: positional parameter 2 "linenos=table,hl_lines=8 15-17" '
                "is missing"
            ],
        ),
        (
            '{{< figure src="/images/x.png" alt="A diagram" >}}',
            '{{< figure src="/ru/images/x.png" width="600" >}}',
            [
                'shortcode figure: parameter src changed from "/images/x.png" to '
                '"/ru/images/x.png"; only text, title, alt, caption may be translated',
                "shortcode figure: parameter alt is missing",
                'shortcode figure: extra parameter width="600"',
            ],
        ),
        (  # a caption is prose: its number is checked like the sentence's
            '{{< figure src="/images/x.png" caption="Figure 3: pods" >}}',
            '{{< figure src="/images/x.png" caption="Рисунок: поды" >}}',
            ["number 3 is missing"],
        ),
        (
            "Use `{{</* note */>}}` here.",
            "Burada `{{</* not */>}}` kullanın.",
            ["shortcode {{</* note */>}} is missing", "extra shortcode {{</* not */>}}"],
        ),
        (
            '{{< glossary_tooltip text="Pod" term_id="pod" >}} and '
            '{{< glossary_tooltip text="node" term_id="node" >}}',
            '{{< glossary_tooltip text="узел" term_id="node" >}} и '
            '{{< glossary_tooltip text="Под" term_id="pod" >}}',
            [
                'shortcode glossary_tooltip: parameter term_id changed from "pod" to "node"; '
                "only text, title, alt, caption may be translated",
                'shortcode glossary_tooltip: parameter term_id changed from "node" to "pod"; '
                "only text, title, alt, caption may be translated",
            ],
        ),
        (
            "{{< note >}}{{< warning >}}",
            "{{< warning >}}{{< note >}}",
            [
                "shortcodes are in another order: {{< warning >}} is where the source has "
                "{{< note >}}"
            ],
        ),
    ],
)
def test_shortcode_refusals(msgid: str, msgstr: str, problems: list[str]) -> None:
    assert check_entry(msgid, msgstr) == problems


def test_text_params_are_configurable() -> None:
    msgid = '{{< tab name="Linux" codelang="bash" >}}'
    msgstr = '{{< tab name="Линукс" codelang="bash" >}}'
    assert check_entry(msgid, msgstr) == [
        'shortcode tab: parameter name changed from "Linux" to "Линукс"; only text, title, alt, '
        "caption may be translated"
    ]
    assert check_entry(msgid, msgstr, text_params=("name",)) == []
    assert check_entry(msgid, msgstr, text_params=()) == [
        'shortcode tab: parameter name changed from "Linux" to "Линукс"; no parameter may be '
        "translated"
    ]


def test_long_shortcodes_are_named_short() -> None:
    caption = "A very long caption that goes on and on about the components of a cluster"
    msgid = f'{{{{< figure src="/images/x.png" caption="{caption}" >}}}}'
    assert check_entry(msgid, "Рисунок") == ["shortcode {{< figure … >}} is missing"]


# -- whole documents ----------------------------------------------------------

SOURCE_DOCUMENT = """\
---
title: Pods
---
{{% capture overview %}}
_Pods_ are the smallest deployable units.
{{< note >}}
A Pod is not a process.
{{< /note >}}
{{< tabs name="pod_examples" >}}
{{< tab name="YAML" codelang="yaml" >}}
{{< codenew file="pods/simple-pod.yaml" >}}
{{< /tab >}}
{{< /tabs >}}
{{% /capture %}}
"""


def test_a_faithful_document_passes() -> None:
    translated = (
        SOURCE_DOCUMENT.replace("title: Pods", "title: Поды")
        .replace(
            "_Pods_ are the smallest deployable units.",
            "_Поды_ — наименьшие развёртываемые единицы.",
        )
        .replace("A Pod is not a process.", "Под — это не процесс.")
    )
    assert shortcode_problems(SOURCE_DOCUMENT, translated) == []
    assert shortcode_problems("No shortcodes.", "Шорткодов нет.") == []


def test_a_document_with_a_closing_shortcode_dropped() -> None:
    translated = SOURCE_DOCUMENT.replace("{{< /note >}}\n", "")
    assert shortcode_problems(SOURCE_DOCUMENT, translated) == [
        "shortcode {{< /note >}} is missing (source line 8)"
    ]


def test_a_document_whose_shortcodes_do_not_nest() -> None:
    translated = SOURCE_DOCUMENT.replace(
        "{{< /tab >}}\n{{< /tabs >}}", "{{< /tabs >}}\n{{< /tab >}}"
    )
    assert shortcode_problems(SOURCE_DOCUMENT, translated) == [
        "shortcode {{< /tab >}} comes after {{< /tabs >}}: shortcodes must nest (line 13)"
    ]


def test_a_document_with_moved_and_changed_shortcodes() -> None:
    translated = (
        SOURCE_DOCUMENT.replace('name="YAML"', 'name="ЯМЛ"')
        .replace("{{< note >}}\nA Pod is not a process.\n{{< /note >}}\n", "")
        .replace("{{% /capture %}}\n", "{{< note >}}\nПод.\n{{< /note >}}\n{{% /capture %}}\n")
    )
    assert shortcode_problems(SOURCE_DOCUMENT, translated) == [
        'shortcodes are in another order: {{< tabs name="pod_examples" >}} (line 6) is where '
        "the source has {{< note >}} (source line 6)",
        'shortcode tab (line 7): parameter name changed from "YAML" to "ЯМЛ"; only text, '
        "title, alt, caption may be translated",
    ]


def test_a_document_with_an_extra_shortcode() -> None:
    translated = SOURCE_DOCUMENT.replace("{{< /note >}}\n", "{{< /note >}}\n{{< caution >}}\n")
    assert shortcode_problems(SOURCE_DOCUMENT, translated) == [
        "extra shortcode {{< caution >}} (line 9)"
    ]


# -- links and the language prefix --------------------------------------------


@pytest.mark.parametrize(
    ("msgid", "msgstr"),
    [
        (
            "See [the overview](/docs/concepts/overview/).",
            "См. [обзор](/ru/docs/concepts/overview/).",
        ),
        ("See [the overview](/docs/concepts/overview/).", "См. [обзор](/docs/concepts/overview/)."),
        ("Back [home](/).", "Вернуться [на главную](/ru/)."),
        ("See https://kubernetes.io/docs/home/.", "См. https://kubernetes.io/ru/docs/home/."),
        ("See https://kubernetes.io.", "См. https://kubernetes.io/ru/."),
        (
            "Read [Pods](/docs/concepts/workloads/pods/#pod-os).",
            "Прочтите [Поды](/ru/docs/concepts/workloads/pods/#pod-os).",
        ),
        ("Search [here](/search/?q=pod).", "Ищите [здесь](/ru/search/?q=pod)."),
        ("Relative [link](pods/).", "Относительная [ссылка](pods/)."),
        ('<a href="/docs/home/">Docs</a>', '<a href="/ru/docs/home/">Документация</a>'),
        (
            '<img src="/images/logo.png" alt="Logo">',
            '<img alt="Логотип" src="/ru/images/logo.png">',
        ),
    ],
)
def test_links_may_gain_the_language_prefix(msgid: str, msgstr: str) -> None:
    assert check_entry(msgid, msgstr, lang="ru") == []


@pytest.mark.parametrize(
    ("msgid", "msgstr", "lang", "problems"),
    [
        (
            "See [the overview](/docs/concepts/overview/).",
            "См. [обзор](/ru/docs/concepts/overview/).",
            None,
            ["URL /docs/concepts/overview/ is missing", "extra URL /ru/docs/concepts/overview/"],
        ),
        (
            "See [the overview](/docs/concepts/overview/).",
            "Bkz. [genel bakış](/tr/docs/concepts/overview/).",
            "ru",
            ["URL /docs/concepts/overview/ is missing", "extra URL /tr/docs/concepts/overview/"],
        ),
        (
            "Relative [link](pods/).",
            "Относительная [ссылка](ru/pods/).",
            "ru",
            ["URL pods/ is missing", "extra URL ru/pods/"],
        ),
        (
            "Read [Pods](/docs/pods/#pod-os).",
            "Прочтите [Поды](/ru/docs/pods/#под-ос).",
            "ru",
            ["URL /docs/pods/#pod-os is missing", "extra URL /ru/docs/pods/#под-ос"],
        ),
        (
            "See /docs/x at [docs](/docs/x).",
            "См. [docs](/russian/docs/x).",
            "ru",
            ["URL /docs/x is missing", "extra URL /russian/docs/x"],
        ),
        (
            "See https://kubernetes.io/docs/home/.",
            "См. https://kubernetes.io/ru/docs/main/.",
            "ru",
            [
                "URL https://kubernetes.io/docs/home/ is missing",
                "extra URL https://kubernetes.io/ru/docs/main/",
            ],
        ),
        (
            '<a href="/docs/home/">Docs</a>',
            '<a href="/ru/docs/main/">Документация</a>',
            "ru",
            [
                'HTML tag <a>: attribute href changed from "/docs/home/" to "/ru/docs/main/"; a '
                "link may only gain the language prefix /ru"
            ],
        ),
        (
            '<a href="/docs/home/">Docs</a>',
            '<a href="/ru/docs/home/">Документация</a>',
            None,
            [
                'HTML tag <a>: attribute href changed from "/docs/home/" to "/ru/docs/home/"; a '
                "link must stay as in the source"
            ],
        ),
    ],
)
def test_other_link_changes_are_refused(
    msgid: str, msgstr: str, lang: str | None, problems: list[str]
) -> None:
    assert check_entry(msgid, msgstr, lang=lang) == problems


# -- speed on hostile input ---------------------------------------------------


def test_unclosed_shortcodes_do_not_backtrack() -> None:
    nasty = "{{< x " * 2000 + '"' * 2000 + "{{% y " + ">" * 2000 + "{{</* " * 1000
    assert check_entry(nasty, nasty) == []
    assert shortcode_problems(nasty, nasty) == []
