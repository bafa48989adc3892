"""One answer in the chat thread: streamed text whose `[n]` markers open their source, how
it was written (extractive, or generative and by which model), the tool calls it made, its
sources, read-aloud, and thumbs up/down with an optional correction (POST /feedback: a
thumbs-down becomes a bad case with the question, the answer and the correction)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nicegui import events, ui

from ..api import ApiProblem
from ..i18n import Table
from . import chat_voice
from .chat_render import TOOL_ICONS, answer_html, kind_label, tool_detail, tool_label
from .chat_source import open_source

if TYPE_CHECKING:
    from .chat import ChatPage

TEXT: Table = {
    "thinking": ("正在查找资料…", "Looking it up…"),
    "speak": ("朗读", "Read aloud"),
    "up": ("有帮助", "Helpful"),
    "down": ("没帮助", "Not helpful"),
    "thanks": ("感谢反馈", "Thanks for the feedback"),
    "down_title": ("哪里不对？", "What is wrong?"),
    "correction": ("正确的回答应该是（可选）", "The right answer would be (optional)"),
    "comment": ("补充说明（可选）", "Comment (optional)"),
    "submit": ("提交", "Submit"),
    "cancel": ("取消", "Cancel"),
    "failed": ("回答中断：{message}", "The answer stopped: {message}"),
}


def avatar(agent: dict[str, Any] | None) -> str:
    value = (agent or {}).get("avatar") or ""
    return value if value and not value.startswith(("http", "/")) else "🤖"


def display_name(agent: dict[str, Any] | None, fallback: str = "") -> str:
    if not agent:
        return fallback
    return f"{avatar(agent)} {agent.get('display_name') or agent['name']}"


class AnswerView:
    """One answer in the thread: streamed text with source links, how it was written, tool
    calls, sources, feedback and read-aloud."""

    def __init__(self, chat: ChatPage, agent: dict[str, Any] | None, question: str) -> None:
        self.chat, self.ctx = chat, chat.ctx
        self.question = question
        self.text = ""
        self.citations: dict[int, dict[str, Any]] = {}
        self.trace_id = ""
        with chat.thread, ui.row().classes("w-full no-wrap items-start gap-2"):
            ui.label(avatar(agent)).classes("text-h6 q-mt-xs")
            with (
                ui.card()
                .classes("col q-pa-sm shadow-1")
                .props('flat bordered data-testid="answer"')
            ):
                ui.label(display_name(agent)).classes("text-caption text-grey-7")
                self.body = (
                    ui.html("", sanitize=False)
                    .classes("tb-answer text-body1 w-full")
                    .props('data-testid="answer-text"')
                )
                self.body.on(
                    "click",
                    self._clicked,
                    js_handler="(e) => { const n = e.target && e.target.dataset"
                    " && e.target.dataset.n; if (n) { e.preventDefault(); emit(Number(n)); } }",
                )
                self.spinner = ui.row().classes("items-center gap-1")
                with self.spinner:
                    ui.spinner(size="sm")
                    ui.label(self.ctx.t(TEXT, "thinking")).classes("text-caption text-grey-7")
                self.meta = ui.column().classes("w-full gap-1")

    async def _clicked(self, event: events.GenericEventArguments) -> None:
        n = event.args if isinstance(event.args, int) else None
        if n is None and isinstance(event.args, list) and event.args:
            n = event.args[0]
        citation = self.citations.get(int(n)) if n is not None else None
        if citation is not None:
            await open_source(self.ctx, citation)

    def add_citations(self, found: list[dict[str, Any]]) -> None:
        for citation in found:
            self.citations[int(citation["n"])] = citation

    def add_text(self, text: str) -> None:
        self.text += text
        self.body.set_content(answer_html(self.text, self.citations))

    def failed(self, message: str) -> None:
        self.spinner.delete()
        with self.meta:
            ui.label(self.ctx.t(TEXT, "failed", message=message)).classes("text-negative")

    def finish(self, answer: dict[str, Any]) -> None:
        """The complete answer (a `done` event, or a stored message with kind/model added)."""
        self.spinner.delete()
        self.add_citations(answer.get("citations") or [])
        self.text = answer.get("answer", self.text)
        self.trace_id = answer.get("trace_id") or ""
        self.body.set_content(answer_html(self.text, self.citations))
        ctx = self.ctx
        with self.meta:
            calls = answer.get("tool_calls") or []
            if calls:
                with ui.row().classes("gap-1"):
                    for call in calls:
                        icon, color, text = TOOL_ICONS.get(
                            call.get("status", ""), ("build", "grey-3", "grey-8")
                        )
                        chip = ui.chip(tool_label(ctx, call), icon=icon, color=color)
                        chip.props(f'dense text-color={text} data-testid="tool-call"')
                        chip.classes("text-caption").tooltip(tool_detail(call))
            if self.citations:
                with ui.column().classes("gap-0 w-full"):
                    for n, citation in sorted(self.citations.items()):
                        label = f"[{n}] {citation.get('title', '')}"
                        if citation.get("location"):
                            label += f" · {citation['location']}"
                        ui.label(label).classes(
                            "text-caption text-primary cursor-pointer ellipsis w-full"
                        ).props(f'data-testid="source-{n}" role="button"').on(
                            "click", lambda c=citation: open_source(ctx, c)
                        )
            with ui.row().classes("w-full items-center no-wrap gap-1"):
                how = kind_label(ctx, answer.get("kind", ""), answer.get("model"))
                if how:
                    meta = ui.label(how).classes("text-caption text-grey-6 ellipsis")
                    meta.props('data-testid="answer-kind"')
                    if answer.get("note"):
                        meta.tooltip(answer["note"])
                ui.space()
                ui.button(icon="volume_up", on_click=self.speak).props(
                    'flat round dense size=sm color=grey-7 data-testid="speak"'
                ).tooltip(ctx.t(TEXT, "speak"))
                if self.trace_id:
                    self.up = ui.button(icon="thumb_up_off_alt", on_click=self.thumbs_up)
                    self.up.props('flat round dense size=sm color=grey-7 data-testid="thumbs-up"')
                    self.up.tooltip(ctx.t(TEXT, "up"))
                    self.down = ui.button(icon="thumb_down_off_alt", on_click=self.thumbs_down)
                    self.down.props(
                        'flat round dense size=sm color=grey-7 data-testid="thumbs-down"'
                    )
                    self.down.tooltip(ctx.t(TEXT, "down"))

    def speak(self) -> None:
        ui.run_javascript(chat_voice.js_call("speak", self.text))

    async def _feedback(self, rating: str, correction: str = "", comment: str = "") -> bool:
        body = {
            "trace_id": self.trace_id,
            "rating": rating,
            "correction": correction,
            "comment": comment,
            "question": self.question,
            "answer": self.text,
        }
        try:
            await self.ctx.api.post("/feedback", json=body)
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return False
        chosen, other = (self.up, self.down) if rating == "up" else (self.down, self.up)
        chosen.props(f"icon={'thumb_up' if rating == 'up' else 'thumb_down'} color=primary")
        chosen.disable()
        other.disable()
        ui.notify(self.ctx.t(TEXT, "thanks"), type="positive")
        return True

    async def thumbs_up(self) -> None:
        await self._feedback("up")

    async def thumbs_down(self) -> None:
        t = lambda key: self.ctx.t(TEXT, key)  # noqa: E731
        with (
            ui.dialog() as dialog,
            ui.card().classes("w-full max-w-lg").props('data-testid="feedback-dialog"'),
        ):
            ui.label(t("down_title")).classes("text-h6")
            correction = ui.textarea(t("correction")).props(
                'autogrow outlined data-testid="correction"'
            )
            comment = ui.input(t("comment")).props('outlined dense data-testid="comment"')
            correction.classes("w-full")
            comment.classes("w-full")

            async def submit() -> None:
                if await self._feedback("down", correction.value or "", comment.value or ""):
                    dialog.close()

            with ui.row().classes("w-full justify-end"):
                ui.button(t("cancel"), on_click=dialog.close).props("flat")
                ui.button(t("submit"), on_click=submit).props('data-testid="feedback-submit"')
        dialog.on("hide", lambda: dialog.delete())
        dialog.open()
