"""`veille opml import|export` run as an operator runs them: a real subprocess on a real database."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.models import utcnow
from bot.opml.document import OpmlFeed, read_opml, write_opml
from bot.store.sqlite import SqliteStore
from tests.support.core import Item, legal_body, rss
from tests.support.http import FeedServer

ROOT = Path(__file__).resolve().parents[3]


async def veille(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run `veille …` without blocking the loop that serves the test's feeds."""
    env = {
        **os.environ,
        "VEILLE_DB": str(tmp_path / "veille.db"),
        "VEILLE_ALLOW_PRIVATE_URLS": "1",
        "TELEGRAM_BOT_TOKEN": "",
        "DISCORD_BOT_TOKEN": "",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_import_then_export_round_trips_a_chats_feeds(tmp_path: Path, feed_server: FeedServer) -> None:
    items = [Item("g-1", "Article du greffe", legal_body("la société Greffix"))]
    url = feed_server.set("/greffe.xml", rss(items, title="La Gazette du Greffe"), content_type="application/rss+xml")
    file = tmp_path / "flux.opml"
    file.write_bytes(
        write_opml([OpmlFeed(url, "Greffe"), OpmlFeed("ftp://x.example.test/f", "FTP")], title="t", created=utcnow())
    )
    status, out, err = await veille(tmp_path, "opml", "import", str(file), "--chat", "telegram:-1001234")
    assert status == 0, err
    assert out.splitlines() == [
        f"added     {url}",
        "refused   ftp://x.example.test/f — Seules les adresses http:// et https:// sont acceptées",
        "2 feeds read: 1 added, 0 already there, 1 refused (chat telegram:-1001234)",
    ]
    status, out, err = await veille(tmp_path, "opml", "export", "--chat", "telegram:-1001234")
    assert status == 0, err
    assert read_opml(out.encode()) == [OpmlFeed(url, "La Gazette du Greffe")]
    target = tmp_path / "export.opml"
    status, _, err = await veille(tmp_path, "opml", "export", "--chat", "telegram:-1001234", "-o", str(target))
    assert status == 0 and err.strip() == f"1 feeds written to {target}"
    assert read_opml(target.read_bytes()) == [OpmlFeed(url, "La Gazette du Greffe")]


async def test_bad_input_is_one_line_on_stderr_and_changes_nothing(tmp_path: Path) -> None:
    not_xml = tmp_path / "notes.txt"
    not_xml.write_text("https://a.example.test/rss\n", encoding="utf-8")
    cases = [
        ("opml", "import", str(not_xml), "--chat", "console"),
        ("opml", "import", str(tmp_path / "absent.opml"), "--chat", "console"),
        ("opml", "import", str(not_xml), "--chat", "irc:#droit"),
        ("opml", "export", "--chat", "discord:42"),
    ]
    errors = []
    for args in cases:
        status, out, err = await veille(tmp_path, *args)
        assert status == 1 and out == ""
        assert len(err.strip().splitlines()) == 1, err
        errors.append(err.strip())
    assert errors[0].startswith(f"veille: cannot import {not_xml}: not XML")
    assert errors[1].startswith(f"veille: cannot import {tmp_path / 'absent.opml'}: cannot read")
    assert errors[2].startswith("veille: --chat must be platform:id")
    assert errors[3] == f"veille: no chat discord:42 in {tmp_path / 'veille.db'}"
    async with SqliteStore(tmp_path / "veille.db") as storage:
        assert await storage.chats.get("console", "console") is None
