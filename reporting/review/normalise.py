"""Reading a department's label the way it was meant: width, brackets, spaces, numerals, typos.

`normalise(label)` returns the label's text with
- full-width forms folded to half width (NFKC), so `（人）` and `(人)` read alike;
- spaces and zero-width characters removed;
- Chinese numerals before an age, a grade or a month turned into digits (八十周岁 → 80周岁,
  一、二级 → 1、2级), with cn2an; set phrases (三会一课, 一老一幼) are left alone;
- dashes and tildes of ranges folded to `-`;
- homophone typos corrected against the catalogue's own vocabulary (独局 → 独居, 底边 → 低边):
  a two-character window is replaced by a vocabulary word when both read the same in pinyin
  and share at least one character, which keeps real words that merely sound alike apart.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import cn2an
from pypinyin import lazy_pinyin

_SPACES = re.compile(r"[\s\u200b\u3000]+")
_DASHES = re.compile(r"[—–―‐‑~〜～]+")
# Item numbering in front of a label: 1. / 1、 / (1) / 一、 / (一) / ①
_NUMBERING = re.compile(
    r"^(?:\(?[0-9一二三四五六七八九十]{1,3}[)、.．]|[①-⑳]|\([0-9一二三四五六七八九十]{1,3}\))"
    r"(?![0-9零一二两三四五六七八九十]+(?:级|周岁|岁|类))(?!\d)"
)
_NUMERAL = "零〇一二两三四五六七八九十百"
# A Chinese numeral standing before what it counts: an age, a grade, months, years, people.
_NUMERAL_BEFORE_UNIT = re.compile(
    rf"([{_NUMERAL}]+)(?=(?:周岁|岁|级|个月|月|年|周|小时|学时|人|户|次|倍|名))"
)
# Ranges and lists of numerals: 一、二级 / 十六至五十九岁 / 零到六岁.
_NUMERAL_IN_RANGE = re.compile(rf"([{_NUMERAL}]+)(?=[、至到-](?:[{_NUMERAL}]+)(?:周岁|岁|级))")
_SET_PHRASES = ("三会一课", "一老一幼一特", "一老一幼", "一数一源", "一表通", "双报到", "两项补贴")


def _to_digits(match: re.Match) -> str:
    text = match.group(1)
    try:
        return str(cn2an.cn2an(text, "smart"))
    except ValueError:
        return text


@lru_cache(maxsize=65536)
def normalise(label: str, vocabulary: tuple[str, ...] = ()) -> str:
    """The label's text, ready to be read (see the module's docstring)."""
    text = re.sub(r"^\s*[①-⑳]", "", label or "")  # NFKC would turn ① into a bare 1
    text = unicodedata.normalize("NFKC", text)
    text = _SPACES.sub("", text)
    text = re.sub(r"_{2,}|＿{2,}", "", text)  # the blank to write on: 报送日期：____
    text = _DASHES.sub("-", text)
    text = _NUMBERING.sub("", text)
    text = text.replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")")
    text = text.replace("〔", "(").replace("〕", ")").replace("<", "(").replace(">", ")")
    protected = {}
    for index, phrase in enumerate(_SET_PHRASES):
        if phrase in text:
            key = f"\x00{index}\x00"
            protected[key] = phrase
            text = text.replace(phrase, key)
    text = _NUMERAL_IN_RANGE.sub(_to_digits, text)
    text = _NUMERAL_BEFORE_UNIT.sub(_to_digits, text)
    for key, phrase in protected.items():
        text = text.replace(key, phrase)
    if vocabulary:
        text = correct_homophones(text, vocabulary)
    return text


@lru_cache(maxsize=8192)
def _pinyin(char: str) -> str:
    return lazy_pinyin(char)[0]


@lru_cache(maxsize=64)
def _homophone_table(vocabulary: tuple[str, ...]):
    table = {}
    for word in vocabulary:
        if len(word) == 2 and all("\u4e00" <= c <= "\u9fff" for c in word):
            table.setdefault((_pinyin(word[0]), _pinyin(word[1])), word)
    return table, frozenset(vocabulary), frozenset("".join(vocabulary))


def correct_homophones(text: str, vocabulary: tuple[str, ...]) -> str:
    """Replace two-character homophone typos of vocabulary words (sharing one character)."""
    table, words, chars_of_words = _homophone_table(vocabulary)
    chars = list(text)
    index = 0
    while index < len(chars) - 1:
        first, second = chars[index], chars[index + 1]
        if (
            first not in chars_of_words and second not in chars_of_words
        ) or first + second in words:
            index += 1
            continue
        pair = first + second
        if "\u4e00" <= first <= "\u9fff" and "\u4e00" <= second <= "\u9fff":
            word = table.get((_pinyin(pair[0]), _pinyin(pair[1])))
            if word and (word[0] == pair[0] or word[1] == pair[1]):
                chars[index], chars[index + 1] = word[0], word[1]
                index += 2
                continue
        index += 1
    return "".join(chars)
