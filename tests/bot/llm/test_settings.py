"""The VEILLE_LLM_* settings: unset means offline; a bad value stops Veille with one line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.llm import build_summarizer
from tests.support.core import make_settings

ROOT = Path(__file__).resolve().parents[3]


def test_without_a_url_no_summarizer_is_built(tmp_path: Path) -> None:
    assert build_summarizer(make_settings(tmp_path)) is None
    assert build_summarizer(make_settings(tmp_path, VEILLE_LLM_URL="", VEILLE_LLM_MODEL="m")) is None


async def test_the_settings_reach_the_summarizer(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        VEILLE_LLM_URL="http://127.0.0.1:11434/",
        VEILLE_LLM_MODEL="qwen2.5:7b-instruct",
        VEILLE_LLM_API_KEY="sk-local-abcdef",
        VEILLE_LLM_TIMEOUT="7.5",
        VEILLE_LLM_CONCURRENCY="3",
        VEILLE_LLM_DAILY_LIMIT="200",
    )
    llm = build_summarizer(settings)
    assert llm is not None
    try:
        assert llm.client.url == "http://127.0.0.1:11434/v1/chat/completions"
        assert llm.client.model == "qwen2.5:7b-instruct"
        assert llm.timeout == 7.5 and llm.client.timeout == 7.5
        assert llm.concurrency == 3 and llm.budget.limit == 200
    finally:
        await llm.close()


def test_the_defaults_are_those_the_readme_gives(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert (settings.llm_timeout, settings.llm_concurrency, settings.llm_daily_limit) == (20.0, 2, None)


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"VEILLE_LLM_URL": "ftp://127.0.0.1/v1", "VEILLE_LLM_MODEL": "m"}, "VEILLE_LLM_URL"),
        ({"VEILLE_LLM_URL": "http://127.0.0.1:11434"}, "VEILLE_LLM_MODEL"),
        ({"VEILLE_LLM_TIMEOUT": "0"}, "VEILLE_LLM_TIMEOUT"),
        ({"VEILLE_LLM_CONCURRENCY": "0"}, "VEILLE_LLM_CONCURRENCY"),
        ({"VEILLE_LLM_DAILY_LIMIT": "-1"}, "VEILLE_LLM_DAILY_LIMIT"),
    ],
)
def test_a_bad_llm_setting_is_one_error_naming_it(tmp_path: Path, values: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=f"invalid setting {name}:"):
        make_settings(tmp_path, **values)


def test_only_the_settings_and_the_summarizer_factory_read_the_model_url() -> None:
    """No command, feed or adapter can point Veille's model calls elsewhere."""
    readers = []
    for path in sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "adapters").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.Attribute) and n.attr == "llm_url" for n in ast.walk(tree)):
            readers.append(str(path.relative_to(ROOT)))
    assert readers == ["bot/llm/__init__.py"]
