"""The `veille` command as users and the evaluation tools run it: a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.core import Item, legal_body, rss

VEILLE = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parents[2]

PAGE = f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>Fuite de données : enquête ouverte</title><meta property="og:site_name" content="Journal Test">
</head><body><nav>Accueil · Société · Justice</nav><article><h1>Fuite de données : enquête ouverte</h1>
<p class="byline">Par Jeanne Rédactrice</p>{legal_body("la société Assurix")}</article>
<footer>© Journal Test</footer></body></html>"""


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "TELEGRAM_BOT_TOKEN": "", "DISCORD_BOT_TOKEN": "", **(env or {})}
    return subprocess.run(
        [*VEILLE, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=full_env, check=False
    )


def test_digest_json_prints_one_object_with_the_contract_fields(tmp_path: Path) -> None:
    page = tmp_path / "article.html"
    page.write_text(PAGE, encoding="utf-8")
    proc = run("digest", str(page), "--json")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    digest = json.loads(lines[0])
    assert {"title", "url", "published", "source", "summary", "actors", "legal", "text"} <= set(digest)
    assert digest["title"].startswith("Fuite de données")
    assert all({"name", "kind", "role"} <= set(a) for a in digest["actors"])
    assert all({"kind", "text"} <= set(item) for item in digest["legal"])
    assert len(digest["text"]) <= 700
    assert "Rédactrice" not in digest["text"]


def test_digest_of_a_feed_file_prints_one_object_per_item(tmp_path: Path) -> None:
    feed = tmp_path / "flux.xml"
    items = [
        Item("x1", "Premier titre", legal_body("la société Alpha")),
        Item("x2", "Second titre", legal_body("Beta")),
    ]
    feed.write_bytes(rss(items))
    proc = run("digest", str(feed), "--json")
    assert proc.returncode == 0, proc.stderr
    titles = [json.loads(line)["title"] for line in proc.stdout.splitlines()]
    assert titles == ["Premier titre", "Second titre"]


def test_digest_without_json_prints_the_chat_text(tmp_path: Path) -> None:
    page = tmp_path / "article.txt"
    page.write_text(
        "Un titre de test\n\n" + legal_body("la société Gamma").replace("<p>", "").replace("</p>", "\n")
    )
    proc = run("digest", str(page))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Un titre de test")
    assert "Acteurs" in proc.stdout


def test_unreadable_input_exits_non_zero_with_one_line_on_stderr(tmp_path: Path) -> None:
    proc = run("digest", str(tmp_path / "absent.html"), "--json")
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "absent.html" in proc.stderr


def test_a_private_address_is_refused_on_the_cli_without_connecting(tmp_path: Path) -> None:
    proc = run("digest", "http://127.0.0.1:9/feed.xml", "--json", env={"VEILLE_ALLOW_PRIVATE_URLS": "0"})
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "127.0.0.1" in proc.stderr or "refused" in proc.stderr.lower()


def test_a_bad_setting_stops_with_one_line_naming_it() -> None:
    proc = run("digest", "x.html", env={"VEILLE_TIMEZONE": "Lune/Cratère"})
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "VEILLE_TIMEZONE" in proc.stderr


def test_demo_runs_offline_and_prints_french_digests(tmp_path: Path) -> None:
    proc = run("demo", env={"VEILLE_DB": str(tmp_path / "ignored.db")}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("Acteurs :") >= 4
    assert "Enjeux juridiques" in proc.stdout
    assert "Cycle terminé" in proc.stdout


def test_digest_of_a_json_article_object_flags_an_english_article(tmp_path: Path) -> None:
    article = tmp_path / "article.json"
    article.write_text(
        json.dumps(
            {
                "title": "Police arrests ransomware suspects in France",
                "date": "2025-06-25",
                "text": "The Paris prosecutor's office said on Tuesday that French police arrested two "
                "suspects linked to a ransomware gang. The suspects face charges of extortion and "
                "money laundering, and could be sentenced to ten years in prison.",
            }
        ),
        encoding="utf-8",
    )
    proc = run("digest", str(article), "--json")
    assert proc.returncode == 0, proc.stderr
    digest = json.loads(proc.stdout.splitlines()[0])
    assert digest["title"] == "Police arrests ransomware suspects in France"
    assert "(article en anglais)" in digest["text"]
