"""Masking personal data in citizens' free text, offline and by pattern.

Used where an admin reads what citizens typed (`citizen-desk kb gaps`, `/gaps`). Each
masked part becomes the catalogue's `masked` token in the text's language. Masked, in
this order:

* e-mail addresses;
* digit runs of 6 or more digits (single spaces or hyphens allowed between them, an
  ID card's final X included): mobile and landline numbers, 18-character ID numbers,
  bank cards, QQ numbers;
* house addresses: a village group (`青石村3组`, `王家村五组12号`), a flat
  (`3栋2单元501室`), a street number (`人民路12号`);
* names after an introduction: 我叫 / 名字叫 / 姓名： / 联系人 (any 2–3 Han characters);
  我是 / 俺是 / 本人 / 我姓 and `X先生` / `X女士` (only when the next character is a
  common surname, so 我是低保户 stays); "my name is X", "I'm X" / "I am X" (a
  capitalised word).

It cannot find a name with no such cue (王大锤想问低保): the admin tools stay
admin-only, and the public report shows no citizen text at all (bot/report.py).
"""

from __future__ import annotations

import re

from bot.messages import CATALOGUE, t

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_CN_NUM = "一二三四五六七八九十百"
#: Common surnames, leaving out ones that often start an ordinary word after 我是 / 本人
#: (高龄, 何时, 于是, 方便, 文化, 安置, 万一, 常住…).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付邱侯邹熊孟秦白江阎薛尹段雷黎"
    "史龙陶贺顾毛郝龚邵钱严覃武戴莫孔向汤"
)

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS_RE = re.compile(r"\d(?:[ -]?\d){5,}(?:[Xx](?![A-Za-z]))?")
_ADDRESS_RE = re.compile(
    rf"[{_HAN}]{{2}}村(?:\d+|[{_CN_NUM}]+)(?:村民)?小?组(?:\d+号)?"
    rf"|\d+(?:栋|幢|号楼)(?:\d+单元)?\d+(?:室|号)?"
    rf"|[{_HAN}]{{2,3}}(?:路|街|巷|胡同)\d+号"
)
_NAME_RES = (
    re.compile(
        rf"((?:我|俺|本人)(?:的)?(?:名字|姓名)(?:叫|是|为)?[:：]?\s*|(?:姓名|名字|联系人)[:：是为]\s*"
        rf"|(?:我|俺|本人)(?:名)?叫\s*)([{_HAN}]{{2,3}})"
    ),
    re.compile(rf"((?:我|俺)是|本人(?:是)?)([{_SURNAMES}][{_HAN}]{{1,2}})"),
    re.compile(rf"((?:我|俺|本人)姓)([{_SURNAMES}])"),
    re.compile(rf"()([{_SURNAMES}])(?=先生|女士|小姐)"),
    re.compile(r"(?i:(\b(?:my name is|my name's|name:)\s+))([A-Za-z][\w'-]*(?: [A-Z][\w'-]*)?)"),
    re.compile(r"(\bI(?:'m|’m| am)\s+)([A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?)"),
)


def token(lang: str) -> str:
    """The mask in `lang`, from the message catalogue."""
    return t("masked", lang)


#: Every language's mask, to strip them all from a text.
_TOKENS_RE = re.compile("|".join(re.escape(v) for v in CATALOGUE["masked"].values()))


def mask(text: str, lang: str = "zh") -> str:
    """`text` with e-mails, long numbers, house addresses and introduced names masked."""
    mark = token(lang)
    text = _EMAIL_RE.sub(mark, text)
    text = _DIGITS_RE.sub(mark, text)
    text = _ADDRESS_RE.sub(mark, text)
    for pattern in _NAME_RES:
        text = pattern.sub(lambda m: m.group(1) + mark, text)
    return text


def has_mask(text: str) -> bool:
    """Whether `text` holds a mask token (of any language)."""
    return _TOKENS_RE.search(text) is not None


def without_masks(text: str) -> str:
    """`text` with every mask token removed (so a mask never becomes a word or an id)."""
    return _TOKENS_RE.sub(" ", text)


_CLAUSE_RE = re.compile(rf"[，,、；;。！？!?\n]|(?<=[{_HAN}])\s+|\s+(?=[{_HAN}])")


def unmasked_part(text: str) -> str:
    """The clauses of `text` that hold no mask, joined: what may become a title or an id.

    我叫[已隐去]，我家低保咋还没批下来 电话[已隐去] → 我家低保咋还没批下来. A text
    without a mask is returned as it is.
    """
    if not has_mask(text):
        return text
    kept = (c.strip() for c in _CLAUSE_RE.split(text) if not has_mask(c))
    return "，".join(c for c in kept if c)
