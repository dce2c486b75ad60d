"""Dependencies point inward: the core never imports a chat platform library."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_LIBRARIES = {"telegram", "discord"}
COMPOSITION_ROOT = ROOT / "bot" / "compose.py"


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
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.split(".")[0] in PLATFORM_LIBRARIES)
        for path in core_files()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_composition_root_imports_adapters() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in core_files()
        if path != COMPOSITION_ROOT and any(m.split(".")[0] == "adapters" for m in imported_modules(path))
    ]
    assert offenders == []


def test_only_the_composition_root_picks_the_digest_engine() -> None:
    # The core gets an engine passed in (`bot.ports.Summarizer`); no module of it loads one.
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if path != COMPOSITION_ROOT and "digests.engine" in imported_modules(path)
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
    assert {"pipeline.py", "store.py", "compose.py", "cli.py", "engine.py"} <= files
    assert ROOT / "bot" / "store" / "protocols" / "__init__.py" in core_files()


# Modules that may speak SQL or touch a driver: the backends, `bot/store/sqlite/` and
# `bot/store/postgres/`, each with its own driver. Everything else (core, adapters, the demo,
# the benchmarks) goes through `bot.store.protocols`.
SQLITE_BACKEND = ROOT / "bot" / "store" / "sqlite"
POSTGRES_BACKEND = ROOT / "bot" / "store" / "postgres"
BACKEND_DRIVERS = {SQLITE_BACKEND: {"aiosqlite", "sqlite3"}, POSTGRES_BACKEND: {"asyncpg", "psycopg"}}
DRIVERS = {"aiosqlite", "sqlite3", "asyncpg", "psycopg"}
DRIVER_CALLS = {"execute", "executemany", "executescript", "fetchall", "fetchone"}
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE"
    r"|\bMATCH\s+\?|PRAGMA\s+\w+)",
    re.DOTALL,
)


def outside_the_storage_layer() -> list[Path]:
    scanned = [*core_files(), *sorted((ROOT / "adapters").rglob("*.py")), *sorted((ROOT / "bench").rglob("*.py"))]
    return [path for path in scanned if not any(backend in path.parents for backend in BACKEND_DRIVERS)]


def sql_offences(path: Path) -> list[str]:
    """Name each SQL string literal and each driver call (`execute`, `fetchall`…) in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            found.append(f"{node.lineno}: SQL {node.value.strip()[:40]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DRIVER_CALLS:
            found.append(f"{node.lineno}: .{node.func.attr}()")
    return found


def test_no_module_outside_the_backends_writes_sql_or_calls_a_driver() -> None:
    offenders = {str(p.relative_to(ROOT)): sql_offences(p) for p in outside_the_storage_layer()}
    assert {k: v for k, v in offenders.items() if v} == {}


# Tests outside the backends' own (tests/bot/store/) reach storage through the protocols too.
# Where a test must set up a row no protocol writes, or read one no protocol returns, the SQL
# lives in one named helper of tests/support/sqlite_rows.py. The others here measure or drive
# a backend on purpose: the throwaway server, statements counted (test_poll_batch), a process
# killed at one SQLite statement (test_crash_safety), rows read on both backends to check
# leases from outside the processes (test_roles_processes), and this file's own fixtures.
TESTS_THAT_MAY_SPEAK_SQL = {
    "tests/support/sqlite_rows.py",
    "tests/support/postgres.py",
    "tests/bot/feeds/test_poll_batch.py",
    "tests/bot/test_crash_safety.py",
    "tests/bot/test_roles_processes.py",
    "tests/test_architecture.py",
}


def test_feature_tests_reach_storage_through_the_protocols_not_sql() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sql_offences(path)
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if ROOT / "tests" / "bot" / "store" not in path.parents
        and str(path.relative_to(ROOT)) not in TESTS_THAT_MAY_SPEAK_SQL
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    assert all((ROOT / name).exists() for name in TESTS_THAT_MAY_SPEAK_SQL)  # no stale exception


def test_only_each_backend_imports_its_driver() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.split(".")[0] in DRIVERS)
        for path in outside_the_storage_layer()
    }
    for backend, own in BACKEND_DRIVERS.items():
        for path in sorted(backend.rglob("*.py")):
            foreign = sorted(m for m in imported_modules(path) if m.split(".")[0] in DRIVERS - own)
            offenders[str(path.relative_to(ROOT))] = foreign
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_core_reaches_storage_through_the_protocols_not_a_backend() -> None:
    # Only the composition root picks a backend.
    offenders = [
        str(path.relative_to(ROOT))
        for path in core_files()
        if path != COMPOSITION_ROOT
        and ROOT / "bot" / "store" not in path.parents
        and any(m.startswith(("bot.store.sqlite", "bot.store.postgres")) for m in imported_modules(path))
    ]
    assert offenders == []


def test_the_sql_scan_catches_a_query_and_a_driver_call(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        'async def f(storage):\n    return await storage.connection.fetchall(f"SELECT id FROM feeds WHERE x = {1}")\n',
        encoding="utf-8",
    )
    assert len(sql_offences(module)) == 2
    module.write_text('TEXT = "Sélectionnez un flux, puis mettez à jour"\n', encoding="utf-8")
    assert sql_offences(module) == []


def test_the_driver_scan_sees_an_aiosqlite_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import aiosqlite\nfrom sqlite3 import OperationalError\n", encoding="utf-8")
    assert imported_modules(module) & DRIVERS == {"aiosqlite", "sqlite3"}
