"""Dependencies point inward: the core never imports a chat platform library."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_LIBRARIES = {"telegram", "discord"}
COMPOSITION_ROOT = ROOT / "bot" / "cli.py"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def core_files() -> list[Path]:
    return sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "digests").rglob("*.py")])


def test_core_and_digests_never_import_telegram_or_discord() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] in PLATFORM_LIBRARIES
        )
        for path in core_files()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_composition_root_and_the_demo_import_adapters() -> None:
    allowed = {COMPOSITION_ROOT, ROOT / "bot" / "demo.py"}
    offenders = [
        str(path.relative_to(ROOT))
        for path in core_files()
        if path not in allowed and any(m.split(".")[0] == "adapters" for m in imported_modules(path))
    ]
    assert offenders == []


def test_digests_never_import_the_bot_core() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "digests").rglob("*.py"))
        if any(m.split(".")[0] == "bot" for m in imported_modules(path))
    ]
    assert offenders == []


def test_the_scan_sees_the_modules_it_guards() -> None:
    files = {p.name for p in core_files()}
    assert {"pipeline.py", "storage.py", "cli.py", "engine.py"} <= files
