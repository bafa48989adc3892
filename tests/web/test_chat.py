"""The chat page in a real browser: the front desk routes a question and says why, the
answer streams in with `[n]` markers that open their source (the chunk highlighted in its
text; for a PDF the page with the quoted line marked), a thumbs-down with a correction becomes
a bad case, and a reloaded conversation keeps its sources. Voice: a (fake) speech recogniser
fills and, hands-free, sends the question and the answer is read aloud; without recognition
and without server transcription the microphone says why it is missing; a spoken sentence
becomes a task that is shown for confirmation before it is saved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tokenbase.agents import AgentSpec, create_agent
from tokenbase.db.schema import knowledge_bases, users
from tokenbase.identity.grants import set_grant
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.platform import Platform

from ..agents.test_tools import Cite, call, llm_settings, tool_round
from ..agents.world import SALES, SALES_QUESTION
from ..conftest import CJK_FONT_CANDIDATES
from ..corpus import write_corpus
from ..ingest.parsers.makers import make_text_pdf
from ..llm.openai_server import ScriptedServer
from ..voice.transcription_server import TranscriptionServer
from .conftest import SHOTS, Served, login, shot, start_server, stop_server

PDF_QUESTION = "单笔金额超过五千元的报销申请需要谁审批？"
TASK = "提醒我明天下午三点给华东电力回电话"


def _font() -> Path | None:
    return next((Path(p) for p in CJK_FONT_CANDIDATES if Path(p).exists()), None)


def _ingest(platform: Platform, folder: Path, kb: str) -> None:
    sources, _ = expand_sources([str(folder)])
    ingestor = platform.ingestor()
    assert not ingestor.run(ingestor.enqueue(sources, kb)).failed


def _prepare(tmp: Path):  # type: ignore[no-untyped-def]
    def prepare(platform: Platform) -> None:
        hr = write_corpus(tmp / "hr")
        font = _font()
        if font is not None:
            make_text_pdf(font, dest=hr / "员工手册.pdf")
        _ingest(platform, hr, "hr")
        sales = tmp / "sales"
        sales.mkdir()
        for name, text in SALES.items():
            (sales / name).write_text(text, encoding="utf-8")
        _ingest(platform, sales, "sales")
        with platform.db.engine.begin() as conn:
            kbs = dict(conn.execute(select(knowledge_bases.c.name, knowledge_bases.c.id)).all())
            alice = conn.execute(select(users.c.id).where(users.c.username == "alice")).scalar()
            for kb in kbs.values():
                set_grant(conn, kb, "user", alice, "read")
            create_agent(
                conn,
                AgentSpec(
                    "hr",
                    display_name="人事助手",
                    description="人事制度、差旅报销、考勤和员工福利问答",
                    avatar="🧑‍💼",
                    kbs=["hr"],
                ),
            )
            create_agent(
                conn,
                AgentSpec(
                    "sales",
                    display_name="销售助手",
                    description="产品报价、交货周期和经销商返点政策",
                    avatar="💼",
                    kbs=["sales"],
                ),
            )

    return prepare


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("chat")
    process, served = start_server(tmp, prepare=_prepare(tmp))
    yield served
    stop_server(process)


def _ask(page: Any, question: str) -> None:
    page.get_by_test_id("question").fill(question)
    page.get_by_test_id("send").click()


def test_ask_open_sources_give_feedback_and_reload(page: Any, served: Served) -> None:
    login(page, served, "alice")
    _ask(page, SALES_QUESTION)
    page.get_by_test_id("route-choice").get_by_text("销售助手").wait_for()
    answer = page.get_by_test_id("answer").last
    answer.get_by_test_id("thumbs-down").wait_for()  # done
    assert "3%" in answer.get_by_test_id("answer-text").inner_text()
    assert "摘录式回答" in answer.get_by_test_id("answer-kind").inner_text()
    shot(page, "chat-zh")

    answer.get_by_test_id("cite-1").click()
    dialog = page.get_by_test_id("source-dialog")
    dialog.get_by_test_id("source-title").get_by_text("经销商返点政策").wait_for()
    assert "3%返点" in dialog.get_by_test_id("source-chunk").inner_text()
    assert dialog.locator("mark.tb-quote").count() >= 1
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")

    answer.get_by_test_id("thumbs-down").click()
    feedback = page.get_by_test_id("feedback-dialog")
    feedback.get_by_test_id("correction").fill("超过50万元返点3%，超过100万元返点5%。")
    feedback.get_by_test_id("feedback-submit").click()
    page.get_by_text("感谢反馈").wait_for()
    with served.api("root") as api:
        cases = api.get("/badcases").json()
    assert cases[0]["correction"] == "超过50万元返点3%，超过100万元返点5%。"
    assert cases[0]["question"] == SALES_QUESTION

    # A follow-up in the same conversation, then a reload: the sources are still there.
    page.wait_for_url(re.compile(r"/ui/chat\?c=\d+"))
    _ask(page, "100万元以上呢？")
    page.get_by_test_id("answer").nth(1).get_by_test_id("thumbs-down").wait_for()
    page.reload()
    page.get_by_test_id("answer").nth(1).wait_for()
    assert page.get_by_test_id("user-message").all_inner_texts() == [
        SALES_QUESTION,
        "100万元以上呢？",
    ]
    page.get_by_test_id("answer").first.get_by_test_id("cite-1").click()
    page.get_by_test_id("source-dialog").get_by_text("经销商返点政策").first.wait_for()
    page.keyboard.press("Escape")

    # The PDF source: the page with the quoted line marked.
    if _font() is None:
        pytest.skip("no CJK font to make the PDF")
    page.get_by_test_id("new-chat").click()
    _ask(page, PDF_QUESTION)
    page.get_by_test_id("route-choice").get_by_text("人事助手").wait_for()
    answer = page.get_by_test_id("answer").last
    answer.get_by_test_id("thumbs-down").wait_for()
    answer.locator("[data-testid^=cite-]").first.click()
    dialog = page.get_by_test_id("source-dialog")
    dialog.get_by_test_id("source-page").wait_for()
    assert "员工手册" in dialog.get_by_test_id("source-title").inner_text()
    assert "第 2 页" in dialog.get_by_test_id("source-page-label").inner_text()  # the quote's
    assert dialog.get_by_test_id("source-box").count() >= 1
    page.wait_for_function("document.querySelector('[data-testid=source-page]').naturalWidth > 0")
    page.wait_for_timeout(600)  # the dialog's opening transition and the scroll to the quote
    shot(page, "chat-source")
    page.keyboard.press("Escape")

    # Not what the front desk chose: ask another agent, in a new conversation.
    page.get_by_test_id("override").click()
    page.get_by_test_id("override-sales").click()
    page.get_by_test_id("route-choice").get_by_text("你选择了 💼 销售助手").wait_for()
    page.get_by_test_id("answer").get_by_text("销售助手").wait_for()
    assert page.get_by_test_id("user-message").all_inner_texts() == [PDF_QUESTION]


# A speech recogniser that "hears" what the test pushed onto window.__say, and a speech
# synthesiser that records what it was asked to say (headless Chromium has neither for real).
FAKE_VOICE = """
window.__say = [];
window.__spoken = [];
window.__listens = [];
class FakeRecognition {
  start() {
    window.__listens.push({lang: this.lang, continuous: this.continuous});
    const said = window.__say.shift();
    if (!said) return;
    setTimeout(() => {
      const result = [{transcript: said, confidence: 0.95}];
      result.isFinal = true;
      if (this.onresult) this.onresult({resultIndex: 0, results: [result]});
      if (!this.continuous) setTimeout(() => this.onend && this.onend(), 30);
    }, 100);
  }
  stop() { setTimeout(() => this.onend && this.onend(), 10); }
  abort() { this.stop(); }
}
window.SpeechRecognition = FakeRecognition;
window.webkitSpeechRecognition = FakeRecognition;
Object.defineProperty(window, 'speechSynthesis', {value: {
  speak(u) { window.__spoken.push({text: u.text, lang: u.lang});
             setTimeout(() => u.onend && u.onend(), 10); },
  cancel() {}, getVoices() { return []; },
}});
"""

NO_VOICE = """
delete window.SpeechRecognition; delete window.webkitSpeechRecognition;
window.SpeechRecognition = undefined; window.webkitSpeechRecognition = undefined;
"""


def test_speak_a_question_hands_free_and_hear_the_answer(page: Any, served: Served) -> None:
    page.add_init_script(FAKE_VOICE)
    login(page, served, "alice")
    page.evaluate("window.__say.push('食堂午餐几点供应？')")
    page.get_by_test_id("mic-chat").click()  # one sentence into the input, not sent
    page.wait_for_function(
        "document.querySelector('[data-testid=question]').value === '食堂午餐几点供应？'"
    )
    assert page.get_by_test_id("user-message").count() == 0
    page.get_by_test_id("question").fill("")

    page.get_by_test_id("read-aloud").click()
    page.evaluate(f"window.__say.push({SALES_QUESTION!r})")
    page.get_by_test_id("hands-free").click()  # listens, sends after a pause, reads the answer
    page.get_by_test_id("user-message").get_by_text(SALES_QUESTION).wait_for()
    page.get_by_test_id("answer").last.get_by_test_id("thumbs-down").wait_for()
    page.wait_for_function("window.__spoken.length > 0")
    spoken = page.evaluate("window.__spoken")
    assert "返点" in spoken[0]["text"] and "[1]" not in spoken[0]["text"]
    assert spoken[0]["lang"] == "zh-CN"
    page.wait_for_function("window.__listens.length >= 3")  # listening again after reading
    listens = page.evaluate("window.__listens")
    assert {entry["lang"] for entry in listens} == {"zh-CN"} and listens[-1]["continuous"]
    page.get_by_test_id("hands-free").click()

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: reload as it would open
    page.reload()
    page.get_by_test_id("answer").last.get_by_test_id("thumbs-down").wait_for()
    assert not page.get_by_test_id("new-chat").is_visible()  # the conversations slide in
    page.get_by_test_id("answer").last.scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat-mobile.png"))  # what the phone's screen shows


def test_without_voice_and_a_record_confirmed_before_saving(page: Any, served: Served) -> None:
    page.add_init_script(NO_VOICE)
    login(page, served, "alice")
    missing = page.get_by_test_id("mic-unavailable-chat")
    missing.hover()
    page.get_by_text("此浏览器不支持语音识别").wait_for()
    assert page.get_by_test_id("mic-chat").count() == 0
    assert not page.get_by_test_id("hands-free").is_visible()

    page.get_by_test_id("voice-record").click()
    dialog = page.get_by_test_id("record-dialog")
    dialog.get_by_test_id("mic-unavailable-record").wait_for()
    dialog.get_by_test_id("record-text").fill(TASK)
    dialog.get_by_test_id("record-extract").click()
    title = dialog.get_by_test_id("field-title")
    title.wait_for()
    assert "华东电力" in title.input_value()
    assert dialog.get_by_test_id("field-due").input_value().endswith("15:00")
    assert "待办" in dialog.get_by_test_id("record-kind").inner_text()
    with served.api("alice") as api:
        assert api.get("/voice/records").json() == []  # a draft: nothing stored yet
    shot(page, "voice-record")
    dialog.get_by_test_id("record-save").click()
    page.get_by_text("已保存：待办").wait_for()
    with served.api("alice") as api:
        records = api.get("/voice/records").json()
    assert [(r["schema"], r["extracted_by"], r["utterance"]) for r in records] == [
        ("task", "rules", TASK)
    ]


@pytest.fixture(scope="module")
def generative(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Any, Any]]:
    """A second instance whose chat model is the scripted server of this test process, and
    whose audio transcription is a scripted server that always hears SALES_QUESTION."""
    tmp = tmp_path_factory.mktemp("chat-llm")

    def prepare(platform: Platform) -> None:
        sales = tmp / "sales"
        sales.mkdir()
        for name, text in SALES.items():
            (sales / name).write_text(text, encoding="utf-8")
        _ingest(platform, sales, "sales")
        with platform.db.engine.begin() as conn:
            kb = conn.execute(select(knowledge_bases.c.id)).scalar_one()
            alice = conn.execute(select(users.c.id).where(users.c.username == "alice")).scalar()
            set_grant(conn, kb, "user", alice, "read")
            create_agent(
                conn,
                AgentSpec(
                    "sales",
                    display_name="销售助手",
                    avatar="💼",
                    kbs=["sales"],
                    tools=["kb_search"],
                ),
            )

    with (
        ScriptedServer() as llm,
        TranscriptionServer((200, {"text": SALES_QUESTION})) as asr,
    ):
        process, served = start_server(
            tmp,
            prepare=prepare,
            llm=llm_settings(llm.base_url),
            voice={"transcription": {"base_url": asr.base_url}},
        )
        yield served, llm, asr
        stop_server(process)


def test_a_generative_answer_with_a_tool_call(page: Any, generative: tuple) -> None:
    served, llm, _asr = generative
    llm.script("m1", tool_round(call("kb_search", {"query": "经销商返点"})))
    llm.script("m1", Cite("年度采购额超过50万元的经销商可获得3%返点[{n}]。", "3%返点"))
    login(page, served, "alice")
    _ask(page, SALES_QUESTION)
    answer = page.get_by_test_id("answer").last
    answer.get_by_test_id("thumbs-down").wait_for()
    assert "3%返点" in answer.get_by_test_id("answer-text").inner_text()
    kind = answer.get_by_test_id("answer-kind").inner_text()
    assert "生成式回答" in kind and "corp/m1" in kind
    assert "kb_search" in answer.get_by_test_id("tool-call").inner_text()
    shot(page, "chat-generative")
    page.reload()  # the model and the tool call come back with the conversation
    answer = page.get_by_test_id("answer").last
    answer.get_by_test_id("tool-call").wait_for()
    assert "corp/m1" in answer.get_by_test_id("answer-kind").inner_text()
    answer.get_by_test_id("cite-1").click()
    page.get_by_test_id("source-dialog").get_by_text("经销商返点政策").first.wait_for()


# No speech recognition, but a microphone: MediaRecorder (faked here, with a fake stream)
# records, the server transcribes.
FAKE_RECORDER = (
    NO_VOICE
    + """
navigator.mediaDevices.getUserMedia = async () => new MediaStream();
window.MediaRecorder = class {
  constructor(stream) { this.stream = stream; this.mimeType = 'audio/webm'; }
  start() { this.state = 'recording'; }
  stop() {
    this.state = 'inactive';
    this.ondataavailable({data: new Blob(['fake-audio'], {type: 'audio/webm'})});
    setTimeout(() => this.onstop(), 10);
  }
};
"""
)


def test_recorded_audio_is_transcribed_by_the_server(page: Any, generative: tuple) -> None:
    served, _llm, asr = generative
    page.add_init_script(FAKE_RECORDER)
    login(page, served, "alice")
    mic = page.get_by_test_id("mic-chat")
    mic.click()  # records
    page.wait_for_function(
        "document.querySelector('[data-testid=mic-chat]').classList.contains('bg-negative')"
    )
    mic.click()  # stops: the audio goes to POST /voice/transcribe
    page.wait_for_function(
        f"document.querySelector('[data-testid=question]').value === {SALES_QUESTION!r}"
    )
    assert not page.get_by_test_id("hands-free").is_visible()  # needs live recognition
    assert asr.requests[-1]["files"]["file"][2] == b"fake-audio"
