"""The KB file watcher says when it is watching, and from then on misses no edit."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from bot.dialogue import Dialogue
from bot.knowledge.loader import load_knowledge, sample_kb_path
from bot.matching.matcher import Matcher
from bot.reload import KnowledgeReloader

NEW_ENTRY = """
entries:
  - id: dog-licence
    title: {zh: 犬只登记, en: Dog registration}
    questions: {zh: [养狗要办证吗], en: [Do I need a dog licence?]}
    answer: {summary: {zh: 到镇派出所办理犬只登记。, en: Register your dog at the police station.}}
"""


async def test_an_edit_right_after_the_watcher_is_ready_is_reloaded(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(sample_kb_path(), kb_dir)
    kb = load_knowledge(kb_dir).kb
    assert kb is not None
    notices: list[str] = []

    async def notice(text: str) -> None:
        notices.append(text)

    reloader = KnowledgeReloader(kb_dir, Dialogue(Matcher(kb)), notice, lang="en")
    stop = asyncio.Event()
    watch = asyncio.create_task(reloader.watch(stop))
    try:
        await asyncio.wait_for(reloader.watching.wait(), 20)
        # The watcher wakes up every half second with nothing: that reloads nothing.
        await asyncio.sleep(1.2)
        assert notices == []
        # Written at once, with no grace period: the edit must still be seen.
        (kb_dir / "dogs.yaml").write_text(NEW_ENTRY, encoding="utf-8")
        for _ in range(200):
            if notices:
                break
            await asyncio.sleep(0.1)
        assert len(notices) == 1 and "dog-licence" in notices[0]
        assert any(e.id == "dog-licence" for e in reloader.dialogue.kb.entries)
    finally:
        stop.set()
        await asyncio.wait_for(watch, 10)
