"""The layers of docs/architecture.md hold: no module imports from a layer below its own
(module-level and lazy imports alike). The table is the one the document shows."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

LAYERS = [
    (
        "text",
        [
            "sync.text",
            "sync.segments",
            "sync.htmlsegments",
            "sync.analysis",
            "sync.words",
            "sync.spill",
        ],
    ),
    (
        "values",
        [
            "sync.state",
            "sync.matrix",
            "sync.scanreport",
            "sync.i18n",
            "sync.errors",
            "sync.config",
            "sync.locales",
            "sync.sources.base",
            "sync",
        ],
    ),
    (
        "formats",
        [
            "sync.frontmatter",
            "sync.frontedit",
            "sync.phpserial",
            "sync.catalog",
            "sync.checks",
            "sync.interchange.inline",
            "sync.interchange.safexml",
            "sync.interchange.xliff",
            "sync.interchange.tmx",
            "sync.forecast",
            "sync.charts",
        ],
    ),
    ("schema", ["sync.db"]),
    ("sources", ["sync.sources", "sync.githistory"]),
    ("broker", ["workers.app", "workers"]),
    ("outbox", ["sync.outbox"]),
    (
        "tracking",
        [
            "sync.tracker",
            "sync.revisions",
            "sync.quickscan",
            "sync.status",
            "sync.matrixdb",
            "sync.history",
        ],
    ),
    (
        "tasks",
        [
            "sync.planning",
            "sync.queue",
            "sync.submission",
            "sync.pofiles",
            "sync.writeback",
            "sync.memory",
            "sync.taskview",
            "sync.people",
            "sync.interchange",
            "sync.workload",
        ],
    ),
    ("catalogs", ["sync.export"]),
    ("work", ["sync.forecastview", "sync.notify"]),
    ("operations", ["sync.scanning", "sync.nudge", "workers.tasks"]),
    ("interfaces", ["sync.cli", "sync.web", "sync.__main__"]),
]


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for i, (_name, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and (best is None or len(p) > best[1]):
                best = (i, len(p))
    return best[0] if best else None


def modules() -> dict[str, object]:
    found = {}
    for path in [*ROOT.glob("sync/**/*.py"), *ROOT.glob("workers/**/*.py")]:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def test_every_module_has_a_layer() -> None:
    assert [m for m in modules() if layer_of(m) is None] == []


def test_no_import_points_down() -> None:
    mods = modules()
    down = []
    for name, path in mods.items():
        own = layer_of(name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            for target in targets:
                if target in mods and (layer := layer_of(target)) is not None and own is not None:
                    if layer > own:
                        down.append(
                            f"{name} ({LAYERS[own][0]}) imports {target} "
                            f"({LAYERS[layer][0]}), line {node.lineno}"
                        )
    assert down == []
