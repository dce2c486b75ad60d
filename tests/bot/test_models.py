"""Domain objects that cross the outbox: a reply with a file survives its JSON round trip."""

from __future__ import annotations

from bot.models import Attachment, Button, Reply, ReplyItem


def test_a_reply_with_a_file_reads_back_from_the_outbox_byte_for_byte() -> None:
    data = bytes(range(256)) + "Société".encode()
    reply = Reply(
        "Export", items=(ReplyItem("Greffe", "https://g.example.test"),), buttons=(Button("b", "aide"),),
        file=Attachment("flux été.opml", data, "text/x-opml"),
    )
    again = Reply.from_json(reply.to_json())
    assert again == reply and again.file is not None and again.file.data == data


def test_a_reply_without_a_file_keeps_the_old_json_shape() -> None:
    assert "file" not in Reply("Bonjour").to_json()
    assert Reply.from_json('{"text": "Bonjour", "items": [], "buttons": [], "extra": {}}').file is None
