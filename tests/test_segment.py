"""bot/segment.py: the words a text is indexed by and a query searched with, and the snippet."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.segment import MAX_QUERY_TERMS, query_terms, snippet, terms

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
TEXT = st.text(st.one_of(HAN, st.sampled_from("abcXYZ019 ，。:-/（）\n")), max_size=80)


def test_han_runs_become_overlapping_pairs_and_latin_words_lower_case() -> None:
    assert terms("支付接口超时(API v2)") == ["支付", "付接", "接口", "口超", "超时", "api", "v2"]
    assert terms("岗") == ["岗"]
    assert terms("，。 ") == []


def test_a_lone_han_character_in_a_query_matches_as_a_prefix() -> None:
    assert query_terms("岗 位置 位置") == (["位置"], ["岗"])


@given(st.text(st.one_of(HAN, st.sampled_from(" ，。")), max_size=80), st.data())
def test_any_stretch_of_a_text_is_found_by_its_terms(text: str, data: st.DataObject) -> None:
    """What makes the index sound: every pair a piece of the text holds is a term of the text, and
    each of its lone characters begins or ends one (a prefix match finds the first kind)."""
    start = data.draw(st.integers(0, len(text)))
    piece = text[start:data.draw(st.integers(start, len(text)))]
    words, prefixes = query_terms(piece)
    indexed = terms(text)
    assert set(words) <= set(indexed)
    assert all(any(t.startswith(p) or t.endswith(p) for t in indexed) for p in prefixes)


@given(st.text(st.one_of(HAN, st.just(" ")), max_size=200))
def test_a_query_is_cut_to_its_first_terms(text: str) -> None:
    words, prefixes = query_terms(text)
    assert len(words) <= MAX_QUERY_TERMS and len(prefixes) <= MAX_QUERY_TERMS
    assert len(words) == len(set(words))


def test_the_snippet_shows_where_the_terms_gather_in_bold() -> None:
    text = "背景说明。" * 30 + "原因：签名算法不一致；措施：统一使用SHA256签名。" + "其他。" * 30
    shown = snippet(text, "签名算法")
    assert "**签名算法**" in shown and shown.startswith("…") and shown.endswith("…")
    assert len(shown.replace("**", "")) <= 62
    assert snippet("没有匹配的文字", "支付") == "没有匹配的文字"


@given(TEXT, TEXT)
def test_the_snippet_is_the_text_with_marks(text: str, query: str) -> None:
    shown = snippet(text, query, width=30)
    plain = shown.replace("**", "").strip("…")
    assert plain in " ".join(text.split())
    assert shown.count("**") % 2 == 0
