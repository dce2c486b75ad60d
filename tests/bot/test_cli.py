"""The `veille` command as users and the evaluation tools run it: a real subprocess."""

from __future__ import annotations

import json
import os
import random
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

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
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sample = readme.split("```\n", 2)[1]  # the README's first block: a digest from the demo
    assert sample in proc.stdout, "README's sample is not make demo's output: paste the demo's digest"


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


def _random_bytes(size: int = 4000) -> bytes:
    return random.Random(11).randbytes(size)


NO_ARTICLE_PAGE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Accueil</title></head>
<body><nav><a href="/">Accueil</a> <a href="/contact">Contact</a> <a href="/mentions">Mentions légales</a></nav>
</body></html>"""


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.html", b""),
        ("empty.txt", b""),
        ("blank.txt", b"\n  \n\t\n"),
        ("title-only.txt", b"Un titre sans article\n"),
        ("random.html", _random_bytes()),
        ("random.txt", _random_bytes()),
        ("random.xml", _random_bytes()),
        ("random.json", _random_bytes()),
        ("no-article.html", NO_ARTICLE_PAGE.encode()),
        ("headlines.xml", rss([Item("h1", "Un titre seul", ""), Item("h2", "Un autre titre seul", "")])),
        ("no-items.xml", rss([])),
    ],
)
def test_digest_of_an_input_without_an_article_exits_1_with_one_line_on_stderr(
    tmp_path: Path, name: str, content: bytes
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    proc = run("digest", str(source), "--json")
    assert proc.returncode == 1, proc.stdout
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert name in lines[0]


def test_digest_of_a_feed_skips_headline_only_items_and_digests_the_others(tmp_path: Path) -> None:
    feed = tmp_path / "flux.xml"
    feed.write_bytes(rss([Item("h1", "Un titre seul", ""), Item("x1", "Un vrai article", legal_body("Alpha"))]))
    proc = run("digest", str(feed), "--json")
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["title"] for line in proc.stdout.splitlines()] == ["Un vrai article"]


def test_digest_whose_reader_goes_away_exits_quietly_without_broken_pipe(tmp_path: Path) -> None:
    feed = tmp_path / "flux.xml"
    feed.write_bytes(rss([Item(f"x{i}", f"Titre {i}", legal_body(f"la société N{i}")) for i in range(3)]))
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "", "DISCORD_BOT_TOKEN": ""}
    proc = subprocess.Popen(
        [*VEILLE, "digest", str(feed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -1` once it has its line: the first write finds no reader
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 141
    assert stderr == b""


def test_digest_piped_into_head_prints_its_first_line_and_no_error(tmp_path: Path) -> None:
    feed = tmp_path / "flux.xml"
    feed.write_bytes(rss([Item(f"x{i}", f"Titre {i}", legal_body(f"la société N{i}")) for i in range(3)]))
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "", "DISCORD_BOT_TOKEN": ""}
    command = " ".join(shlex.quote(part) for part in [*VEILLE, "digest", str(feed)]) + " | head -1"
    proc = subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env, check=False
    )
    assert proc.stdout.startswith("Titre 0")
    assert proc.stderr == ""


def test_an_unknown_log_level_is_refused_at_start_with_one_line_naming_it() -> None:
    proc = run("digest", "x.html", env={"VEILLE_LOG_LEVEL": "LOUD"})
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "VEILLE_LOG_LEVEL" in proc.stderr


def test_a_log_level_in_lower_case_is_accepted(tmp_path: Path) -> None:
    page = tmp_path / "article.html"
    page.write_text(PAGE, encoding="utf-8")
    proc = run("digest", str(page), "--json", env={"VEILLE_LOG_LEVEL": "warning"})
    assert proc.returncode == 0, proc.stderr
