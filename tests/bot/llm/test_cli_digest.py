"""`veille digest --json` asks the configured model, so scorers can compare both summaries."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.bot.llm.conftest import TEXT
from tests.support.openai_fake import FakeLLM, down_url

ROOT = Path(__file__).resolve().parents[3]
TITLE = "Escroquerie chez Brivelle : le gérant mis en examen"
FAITHFUL = (
    "Le parquet de Nantes a mis en examen Paul Lemarchand, gérant de Brivelle, pour escroquerie en bande organisée."
)


async def digest_json(path: Path, url: str, **env: str) -> tuple[int, list[dict], str]:
    full_env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "",
        "DISCORD_BOT_TOKEN": "",
        "VEILLE_LLM_URL": url,
        "VEILLE_LLM_MODEL": "test-model",
        **env,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "digest", str(path), "--json",
        cwd=ROOT, env=full_env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    return proc.returncode or 0, lines, err.decode()


def article(tmp_path: Path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(f"{TITLE}\n{TEXT}", encoding="utf-8")
    return path


async def test_digest_json_uses_a_verified_model_summary(tmp_path: Path) -> None:
    async with FakeLLM() as fake:
        fake.answer(FAITHFUL)
        code, lines, err = await digest_json(article(tmp_path), fake.url)
    assert code == 0, err
    assert [d["summary"] for d in lines] == [FAITHFUL]
    assert lines[0]["summary_source"] == "llm"
    assert fake.calls == 1


async def test_digest_json_keeps_the_extractive_summary_when_the_answer_is_rejected(tmp_path: Path) -> None:
    async with FakeLLM() as fake:
        fake.answer("Le parquet de Nantes a mis en examen Paul Lemarchand et Hugo Bastide, gérant de Brivelle.")
        code, lines, err = await digest_json(article(tmp_path), fake.url)
    assert code == 0, err
    assert "Bastide" not in lines[0]["summary"] and lines[0]["summary_source"] == "extractive"


async def test_digest_json_with_the_model_down_still_prints_the_digest(tmp_path: Path) -> None:
    code, lines, err = await digest_json(article(tmp_path), down_url(), VEILLE_LLM_TIMEOUT="2")
    assert code == 0, err
    assert lines[0]["summary_source"] == "extractive" and lines[0]["summary"]


ENGLISH_TEXT = (
    "A ransomware attack crippled the Harlow County hospital in March, and the group behind it "
    "extorted $2.5 million from 14 victims, prosecutors in Texas said on Tuesday. The hospital has "
    "since restored its systems, and patients were moved to other clinics during the outage."
)


async def test_an_english_article_gets_a_french_summary_that_says_so(tmp_path: Path) -> None:
    path = tmp_path / "english.txt"
    path.write_text(f"Ransomware gang extorted hospital\n{ENGLISH_TEXT}", encoding="utf-8")
    french = (
        "Une attaque par rançongiciel a paralysé l'hôpital du comté de Harlow en mars ; le groupe "
        "aurait extorqué 2,5 millions de dollars à 14 victimes."
    )
    async with FakeLLM() as fake:
        fake.answer(french)
        code, lines, err = await digest_json(path, fake.url)
    assert code == 0, err
    assert lines[0]["language"] == "en" and lines[0]["summary_source"] == "llm"
    assert lines[0]["summary"] == "(article en anglais, résumé traduit) " + french
    assert lines[0]["text"].splitlines()[1].startswith("(article en anglais, résumé traduit) Une attaque")
