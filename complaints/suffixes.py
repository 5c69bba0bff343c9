"""Uyghur case suffixes attached as Uyghur spelling requires (pure, no I/O).

A name that comes from config or a handler (a unit, a channel, a school) is followed by a case suffix
written onto the word itself: ``ئاقتو`` + dative → ``ئاقتوغا``, ``مەكتەپ`` + locative → ``مەكتەپتە``.
The form depends on the last word:

* vowel harmony: the last back vowel (ا و ۇ) or front vowel (ە ۆ ۈ) decides; words with only the neutral
  vowels ى ې go by their consonants (ق غ خ back, گ ك front), else front. A few stems whose harmony is
  hidden by vowel weakening (``ئىدارىسى`` from ``ئىدارە``) are listed in ``_FRONT_STEMS``;
* voicing: after a voiceless consonant (پ ت چ خ س ش ف ق ك ھ) the suffix starts voiceless (تا، قا);
* weakening: a final ا / ە of a word of two or more syllables becomes ى (بالا → بالىغا);
* a name ending in a digit, Latin or Chinese letters takes the suffix after a hyphen (``AKT-2026-0012-نىڭ``),
  chosen by how the last digit is read in Uyghur; for Chinese or Latin text the front voiced form is used.
"""

from __future__ import annotations

import re

BACK_VOWELS, FRONT_VOWELS = set("اوۇ"), set("ەۆۈ")
VOWELS = BACK_VOWELS | FRONT_VOWELS | set("ىې")
VOICELESS = set("پتچخسشفقكھ")
_ARABIC_LETTER = re.compile(r"[\u0620-\u064a\u0671-\u06d3\u06d5]")
_FRONT_STEMS = ("ئىدارىسى", "ئىدارى", "مەكتىپى", "ناھىيىسى", "ھۆكۈمىتى", "ئىشخانىسى", "مەركىزى", "مەھكىمىسى")
# how the last digit of a number is read: (harmony is back, last sound is voiceless)
_DIGITS = {
    "0": (False, False),
    "1": (False, False),
    "2": (False, False),
    "3": (False, True),
    "4": (False, True),
    "5": (False, True),
    "6": (False, False),
    "7": (False, False),
    "8": (False, False),
    "9": (True, False),
}
_TENS = {
    "1": (True, False),
    "2": (False, False),
    "3": (True, False),
    "4": (True, True),
    "5": (False, True),
    "6": (True, True),
    "7": (False, True),
    "8": (False, False),
    "9": (True, False),
}  # ئون، يىگىرمە، ئوتتۇز…

# case → (back voiced, back voiceless, front voiced, front voiceless)
SUFFIXES = {
    "genitive": ("نىڭ",) * 4,
    "accusative": ("نى",) * 4,
    "dative": ("غا", "قا", "گە", "كە"),
    "locative": ("دا", "تا", "دە", "تە"),
    "ablative": ("دىن", "تىن", "دىن", "تىن"),
}


def _is_back(word: str) -> bool:
    if word.endswith(_FRONT_STEMS):
        return False
    for letter in reversed(word):
        if letter in BACK_VOWELS:
            return True
        if letter in FRONT_VOWELS:
            return False
    if any(letter in "قغخ" for letter in word):
        return True
    return False


def _number_sound(digits: str) -> tuple[bool, bool]:
    """(back, voiceless) of a number as read aloud: by its last non-zero digit, 10s and 100s/1000s."""
    stripped = digits.rstrip("0")
    zeros = len(digits) - len(stripped)
    if not stripped:
        return _DIGITS["0"]
    if zeros == 0:
        return _DIGITS[stripped[-1]]
    if zeros == 1:
        return _TENS[stripped[-1]]
    return (False, False) if zeros == 2 else (True, False)  # يۈزگە، مىڭغا


def _form(case: str, back: bool, voiceless: bool) -> str:
    return SUFFIXES[case][(0 if back else 2) + (1 if voiceless else 0)]


def attach(word: str, case: str) -> str:
    """``word`` with the Uyghur ``case`` suffix (genitive, accusative, dative, locative, ablative)."""
    if case not in SUFFIXES:
        raise ValueError(f"unknown case {case!r}; one of {', '.join(SUFFIXES)}")
    text = word.rstrip()
    if not text:
        return text
    last = text.split()[-1]
    if not _ARABIC_LETTER.search(last[-1]):
        digits = re.search(r"\d+$", text)
        back, voiceless = _number_sound(digits.group()) if digits else (False, False)
        return f"{text}-{_form(case, back, voiceless)}"
    back, final = _is_back(last), last[-1]
    if final in "اە" and sum(letter in VOWELS for letter in last) >= 2:
        text = text[:-1] + "ى"
    return text + _form(case, back, final in VOICELESS)
