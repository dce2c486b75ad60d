"""What `make demo` and `make test` install survives upstream releases: direct deps, hashed locks."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_NAME = re.compile(r"^([A-Za-z0-9_.-]+)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(*, extra: str = "") -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return {_canonical(_NAME.match(spec.strip()).group(1)) for spec in specs}  # type: ignore[union-attr]


def _locked(lock: str) -> dict[str, list[str]]:
    """Map each locked package to its requirement block (the `name==version \\ --hash…` lines)."""
    blocks: dict[str, list[str]] = {}
    current = ""
    for line in (ROOT / lock).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#")):
            current = _canonical(_NAME.match(line).group(1))  # type: ignore[union-attr]
            blocks[current] = [line]
        elif current and line.strip().startswith("--hash="):
            blocks[current].append(line.strip())
    return blocks


def test_trafilatura_html_cleaner_is_a_direct_dependency():
    # jusText asks for lxml[html_clean], which pip older than 23.3 resolves to nothing.
    assert "lxml-html-clean" in _declared()


def test_every_runtime_dependency_is_pinned_with_hashes_in_both_locks():
    for lock in ("requirements.lock", "requirements-test.lock"):
        blocks = _locked(lock)
        missing = _declared() - set(blocks)
        assert not missing, f"{lock} lacks {sorted(missing)}"
        for name, block in blocks.items():
            assert "==" in block[0], f"{lock}: {name} is not pinned"
            assert any(line.startswith("--hash=sha256:") for line in block[1:]), f"{lock}: {name} has no hash"


def test_test_lock_holds_the_test_extras_and_the_runtime_lock_does_not():
    runtime, test = _locked("requirements.lock"), _locked("requirements-test.lock")
    assert _declared(extra="test") <= set(test)
    assert not {"pytest", "hypothesis", "ruff", "mypy"} & set(runtime)
    for name, block in runtime.items():
        assert test[name][0] == block[0], f"{name}: the two locks pin different versions"


def test_make_installs_from_the_locks_with_required_hashes():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r $(LOCK)" in makefile
    assert "--require-hashes -r $(TEST_LOCK)" in makefile
