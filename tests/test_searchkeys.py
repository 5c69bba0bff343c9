"""The search keys of a text: Chinese as neighbouring pairs, other words whole, the same whether a text was
typed with full-width or half-width characters."""

from __future__ import annotations

import random
import unicodedata

from complaints.searchkeys import keys, text_keys, who_keys


def test_chinese_is_kept_as_neighbouring_pairs_and_other_words_whole():
    assert keys("反映学校收取共建费（ATS-2026）") == [
        "反映",
        "映学",
        "学校",
        "校收",
        "收取",
        "取共",
        "共建",
        "建费",
        "ats",
        "2026",
    ]
    assert keys("费") == ["费"]
    assert keys("收费，收费。收费") == ["收费"]  # each key once, in order of appearance
    assert text_keys({"summary": "收费", "details": "择校"}) == "收费 择校"  # no pair spans two fields
    assert who_keys("王丽", "138 1234 5678") == "n王丽 p5678"


def test_full_width_and_half_width_text_have_the_same_keys():
    assert keys("ＡＴＳ－２０２６，共建费") == keys("ATS-2026,共建费") == ["ats", "2026", "共建", "建费"]
    alphabet = [*"反映学校收取共建费，、：；！？（）【】《》“”‘’。 abcABCａｂｃ１２３①ﬁ\u0301e丽﹐︰ئۇيغۇرﻻ\n"]
    rng = random.Random(7)
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert keys(text) == keys(unicodedata.normalize("NFKC", text)), text
