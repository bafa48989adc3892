"""Citation checking: markers parsed as models write them, support decided per source."""

import pytest

from tokenbase.kb.citations import SupportChecker, coverage, split_cited, validate
from tokenbase.search.tokenizer import Tokenizer

TOKENIZE = Tokenizer().tokenize
HOTEL = (
    "差旅住宿标准：一线城市普通员工每晚不超过500元，经理每晚不超过800元。二线城市每晚不超过350元。"
)
LEAVE = "员工入职满一年后享有年休假5天，满十年享有10天。病假需提供医院证明。"


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "住宿每晚不超过500元[1]。年假5天[2]。",
            [("住宿每晚不超过500元。", [1]), ("年假5天。", [2])],
        ),
        (
            "住宿每晚不超过500元。[1] 年假5天。[2]",
            [("住宿每晚不超过500元。", [1]), (" 年假5天。", [2])],
        ),
        ("A[1]，B[2]。", [("A，B。", [1, 2])]),
        ("见资料【1，3】。", [("见资料。", [1, 3])]),
        (
            "Hotels are capped at 500 yuan [1]. Leave is 5 days[2][3].",
            [
                ("Hotels are capped at 500 yuan.", [1]),
                (" Leave is 5 days.", [2, 3]),
            ],
        ),
        ("The rate is 3.5 percent [1].", [("The rate is 3.5 percent.", [1])]),
        ("没有引用的一句。", [("没有引用的一句。", [])]),
        ("末尾没有句号[2]", [("末尾没有句号", [2])]),
    ],
)
def test_markers_belong_to_the_sentence_they_end(text, expected):
    assert [(s.text, s.markers) for s in split_cited(text)] == expected


def test_supported_paraphrase_passes_and_wrong_source_fails():
    checker = SupportChecker(TOKENIZE)
    question = "一线城市普通员工出差住宿标准是多少？"
    good = checker.check("一线城市普通员工住宿每晚不超过500元。", HOTEL, question)
    assert good.supported and good.score >= 0.5
    # The sentence is about hotels, the cited source about leave.
    wrong = checker.check("一线城市普通员工住宿每晚不超过500元。", LEAVE, question)
    assert not wrong.supported


def test_a_changed_number_is_caught_even_when_every_word_matches():
    checker = SupportChecker(TOKENIZE)
    verdict = checker.check("一线城市普通员工每晚不超过600元。", HOTEL)
    assert not verdict.supported and verdict.reason == "number_not_in_source"
    assert coverage("一线城市普通员工每晚不超过600元。", HOTEL, TOKENIZE) > 0.8


def test_the_answer_must_come_from_the_source_not_just_the_question_words():
    checker = SupportChecker(TOKENIZE)
    question = "香港第六届立法会选举由谁主持？"
    source = "香港第六届立法会选举于2016年9月4日举行，选举管理委员会负责监督。"
    claim = "香港第六届立法会选举由特首亲自主持。"
    verdict = checker.check(claim, source, question)
    assert not verdict.supported and verdict.reason == "answer_not_in_source"
    fine = checker.check("香港第六届立法会选举由选举管理委员会负责监督。", source, question)
    assert fine.supported


def test_validate_keeps_good_markers_and_reports_the_rest():
    sentences = split_cited(
        "一线城市普通员工每晚不超过500元[1][2]。入职满一年享有年休假5天[2]。详见附件[7]。"
    )
    validate(sentences, [HOTEL, LEAVE], SupportChecker(TOKENIZE), "出差住宿和年假标准？")
    assert sentences[0].valid == [1]
    assert [i["n"] for i in sentences[0].issues] == [2]
    assert sentences[1].valid == [2]
    assert sentences[2].valid == [] and sentences[2].issues[0]["reason"] == "unknown_source"
    # Only valid markers are rendered, before the closing punctuation.
    assert sentences[0].rendered() == "一线城市普通员工每晚不超过500元[1]。"
    assert sentences[2].rendered() == "详见附件。"
    start, end = sentences[0].evidence[1]
    assert "500元" in HOTEL[start:end]


def test_meaning_rescues_a_paraphrase_with_little_word_overlap():
    from tokenbase.config import EmbedderSettings
    from tokenbase.llm.embeddings import create_embedder

    embedder = create_embedder(EmbedderSettings())
    source = "The company reimburses hotel stays of up to 500 yuan per night in tier-one cities."
    claim = "In the largest cities, lodging costs are refunded up to 500 yuan a night."
    lexical = SupportChecker(TOKENIZE, min_coverage=0.6)
    semantic = SupportChecker(TOKENIZE, embedder, min_coverage=0.6, min_cosine=0.85)
    assert not lexical.check(claim, source).supported
    assert semantic.check(claim, source).supported
