"""The chat page: ask an agent (or the front desk, which picks one and says why), answers
streamed sentence by sentence with `[n]` markers that open their source, how each answer was
written shown discreetly, thumbs up/down with a correction, the user's conversations (which
keep their sources on reload: `/chat?c=<id>`), voice input, read-aloud and hands-free mode,
and voice capture of structured records.

API: GET /agents, POST /agents/route, POST /agents/{name}/chat (SSE), GET /conversations,
GET /conversations/{id}, POST /feedback, GET /voice/capabilities (+ chat_source.py,
chat_record.py, chat_voice.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from nicegui import events, ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext, open_page
from . import chat_voice
from .chat_answer import AnswerView, avatar, display_name
from .chat_record import RecordDialog
from .chat_render import STYLE

TEXT: Table = {
    "front_desk": ("🛎 前台（自动分配）", "🛎 Front desk (auto)"),
    "agent": ("助手", "Agent"),
    "new": ("新对话", "New chat"),
    "history": ("历史对话", "Conversations"),
    "no_history": ("还没有对话", "No conversations yet"),
    "placeholder": ("输入问题，回车发送", "Ask a question (Enter sends)"),
    "send": ("发送", "Send"),
    "read_aloud": ("自动朗读", "Read aloud"),
    "hands_free": ("免提", "Hands-free"),
    "hands_free_hint": (
        "免提模式：说完停顿片刻即自动发送，回答读完后继续聆听",
        "Hands-free: sends after a pause, listens again after the answer",
    ),
    "record": ("语音记录", "Voice record"),
    "record_hint": (
        "把一句话变成拜访记录、待办、报销或跟进，核对后保存",
        "Turn a sentence into a visit note, task, expense or follow-up",
    ),
    "welcome": ("你好，{name}！有什么可以帮你？", "Hello {name}! What can I help with?"),
    "welcome_hint": (
        "回答中的 [1] [2] 标记可以点开，查看原文出处。",
        "Click the [1] [2] markers in an answer to open its sources.",
    ),
    "no_agents": (
        "还没有你可以使用的助手，请联系管理员创建。",
        "There is no agent you may use yet; ask an administrator to create one.",
    ),
    "routed": ("前台已转给 {agent}", "The front desk chose {agent}"),
    "chosen": ("你选择了 {agent}", "You chose {agent}"),
    "decided_embedding": ("依据：问题与各助手职责和知识的相似度", "By similarity to each agent"),
    "decided_model": ("依据：大模型判断", "Decided by a model"),
    "decided_user": ("依据：你的选择", "Your choice"),
    "override": ("改由…", "Ask another…"),
    "listening": ("正在聆听…", "Listening…"),
}


class ChatPage:
    def __init__(self, ctx: PageContext, agents: list[dict[str, Any]]) -> None:
        self.ctx = ctx
        self.agents = {a["name"]: a for a in agents}
        self.conversation: int | None = None
        self.conversation_agent: str | None = None
        self.busy = False
        self.voice: dict[str, Any] = {}
        self.listening_target = "chat"
        self.record_dialog: RecordDialog | None = None

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    # -- layout ---------------------------------------------------------------------------
    def build(self) -> None:
        ui.add_head_html(STYLE)
        chat_voice.install()
        ui.on("tb_voice", self.on_voice)
        options = {"auto": self.t("front_desk")} | {
            name: display_name(agent) for name, agent in self.agents.items()
        }
        with (
            ui.right_drawer(value=None)
            .props("bordered width=280")
            .classes("bg-white q-pa-sm") as self.drawer
        ):
            ui.button(self.t("new"), icon="add", on_click=self.new_chat).props(
                'outline dense data-testid="new-chat"'
            ).classes("w-full")
            ui.label(self.t("history")).classes("text-caption text-grey-7 q-mt-md")
            self.history = ui.list().props("dense separator").classes("w-full")
        with ui.column().classes("w-full max-w-3xl mx-auto gap-2 q-pb-xl"):
            with ui.row().classes("w-full items-center gap-2"):
                self.picker = (
                    ui.select(options, value="auto", label=self.t("agent"))
                    .props('dense outlined options-dense data-testid="agent-select"')
                    .classes("min-w-[12rem] col-grow")
                )
                self.picker.on_value_change(lambda _: self.new_chat())
                self.read_aloud = ui.switch(self.t("read_aloud")).props(
                    'dense data-testid="read-aloud"'
                )
                self.hands_free = ui.switch(
                    self.t("hands_free"), on_change=self.toggle_hands_free
                ).props('dense data-testid="hands-free"')
                self.hands_free.tooltip(self.t("hands_free_hint"))
                self.hands_free.visible = False
                ui.button(icon="edit_note", on_click=self.open_record).props(
                    'flat round dense color=primary data-testid="voice-record"'
                ).tooltip(self.t("record_hint"))
                ui.button(icon="forum", on_click=self.drawer.toggle).props(
                    'flat round dense color=primary data-testid="history-toggle"'
                ).tooltip(self.t("history"))
            self.thread = ui.column().classes("w-full gap-3")
        with ui.footer().classes("bg-white q-pa-sm").style("border-top: 1px solid #e0e0e0"):
            with ui.row().classes("w-full max-w-3xl mx-auto items-end no-wrap gap-1"):
                self.mic_slot = ui.row().classes("items-center")
                self.question = (
                    ui.textarea(placeholder=self.t("placeholder"))
                    .props('autogrow outlined dense rows=1 data-testid="question"')
                    .classes("col")
                    .style("max-height: 30vh; overflow:auto")
                )
                self.question.on(
                    "keydown.enter",
                    self.send,
                    js_handler="(e) => { if (!e.shiftKey && !e.isComposing) "
                    "{ e.preventDefault(); emit(); } }",
                )
                self.send_button = ui.button(icon="send", on_click=self.send).props(
                    f'round color=primary data-testid="send" aria-label="{self.t("send")}"'
                )
        if not self.agents:
            with self.thread:
                ui.label(self.t("no_agents")).classes("text-body1 text-grey-8 q-pa-md")
            self.send_button.disable()
        else:
            self.welcome()
        ui.timer(0.05, self.init_voice, once=True)

    def welcome(self) -> None:
        name = self.ctx.user.get("display_name") or self.ctx.user.get("username", "")
        with self.thread, ui.column().classes("w-full items-center q-py-lg gap-1"):
            ui.label(self.t("welcome", name=name)).classes("text-h6 text-grey-8")
            ui.label(self.t("welcome_hint")).classes("text-caption text-grey-6")

    # -- conversations --------------------------------------------------------------------
    async def refresh_history(self) -> None:
        try:
            found = await self.ctx.api.get("/conversations", params={"limit": 50})
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        self.history.clear()
        with self.history:
            if not found:
                ui.item(self.t("no_history")).classes("text-grey-6 text-caption")
            for item in found:
                agent = self.agents.get(item["agent"])
                with (
                    ui.item(on_click=lambda c=item["id"]: self.load(c))
                    .props(f'clickable data-testid="conversation-{item["id"]}"')
                    .classes("rounded-borders")
                ) as row:
                    if item["id"] == self.conversation:
                        row.classes("bg-blue-1")
                    with ui.item_section().props("avatar").classes("min-w-0"):
                        ui.label(avatar(agent))
                    with ui.item_section():
                        ui.item_label(item["title"] or "…").props("lines=1")
                        when = (item.get("updated_at") or "")[:16].replace("T", " ")
                        ui.item_label(when).props("caption")

    def new_chat(self) -> None:
        self.conversation = None
        self.conversation_agent = None
        self.thread.clear()
        self.welcome()
        ui.navigate.history.replace("/ui/chat")

    async def load(self, conversation_id: int) -> None:
        try:
            found = await self.ctx.api.get(f"/conversations/{conversation_id}")
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        self.conversation = found["id"]
        self.conversation_agent = found.get("agent")
        self.thread.clear()
        agent = self.agents.get(found.get("agent") or "")
        question = ""
        for message in found["messages"]:
            if message["role"] == "user":
                question = message["content"]
                self.user_bubble(question)
                continue
            view = AnswerView(self, agent, question)
            model = message.get("model") or {}
            kind = "generative" if model else ("extractive" if message["citations"] else "")
            view.finish(
                {
                    "answer": message["content"],
                    "citations": message["citations"],
                    "trace_id": message["trace_id"],
                    "model": model,
                    "kind": kind,
                    "tool_calls": message.get("tool_calls") or [],
                }
            )
        ui.navigate.history.replace(f"/ui/chat?c={self.conversation}")
        await self.refresh_history()
        self.scroll()

    # -- asking ---------------------------------------------------------------------------
    def user_bubble(self, text: str) -> None:
        with self.thread, ui.row().classes("w-full justify-end"):
            ui.label(text).classes(
                "bg-primary text-white q-px-md q-py-sm whitespace-pre-wrap"
            ).style("border-radius: 16px 16px 4px 16px; max-width: 85%").props(
                'data-testid="user-message"'
            )

    def scroll(self) -> None:
        ui.run_javascript("window.scrollTo({top: document.body.scrollHeight, behavior: 'smooth'})")

    async def send(self, text: str | None = None) -> None:
        question = (text if isinstance(text, str) else self.question.value or "").strip()
        if not question or self.busy or not self.agents:
            return
        self.busy = True
        self.send_button.disable()
        self.question.value = ""
        try:
            if self.conversation is None:
                self.thread.clear()
            agent = self.conversation_agent or self.picker.value
            if agent == "auto":
                self.user_bubble(question)
                decision = await self.ctx.api.post("/agents/route", json={"question": question})
                agent = decision["agent"]
                self.route_card(decision, question)
                await self.turn(agent, question, show_question=False)
            else:
                await self.turn(agent, question)
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
        finally:
            self.busy = False
            self.send_button.enable()

    def route_card(self, decision: dict[str, Any], question: str) -> None:
        agent = self.agents.get(decision["agent"])
        key = "chosen" if decision.get("overridden") else "routed"
        with self.thread, ui.row().classes("w-full items-center gap-2 text-caption text-grey-8"):
            ui.icon("alt_route", color="primary")
            ui.label(self.t(key, agent=display_name(agent, decision["agent"]))).props(
                'data-testid="route-choice"'
            ).classes("text-weight-medium")
            by = f"decided_{decision.get('decided_by', 'embedding')}"
            why = ui.label(self.t(by) if by in TEXT else "").classes("text-grey-6")
            scores = ", ".join(
                f"{display_name(self.agents.get(s['agent']), s['agent'])} {s['score']:.2f}"
                for s in decision.get("scores", [])[:3]
            )
            why.tooltip(decision.get("model_reason") or scores or decision.get("reason", ""))
            if decision.get("model_reason"):
                ui.label(f"“{decision['model_reason']}”").classes("text-grey-6 ellipsis")
            others = [n for n in self.agents if n != decision["agent"]]
            if others:
                with ui.button(self.t("override"), icon="swap_horiz").props(
                    'flat dense no-caps size=sm data-testid="override"'
                ):
                    with ui.menu():
                        for name in others:
                            ui.menu_item(
                                display_name(self.agents[name]),
                                on_click=lambda n=name: self.override(n, question),
                            ).props(f'data-testid="override-{name}"')

    async def override(self, agent: str, question: str) -> None:
        if self.busy:
            return
        self.busy = True
        try:
            decision = await self.ctx.api.post(
                "/agents/route", json={"question": question, "agent": agent}
            )
            self.conversation, self.conversation_agent = None, None
            self.thread.clear()
            self.user_bubble(question)
            self.route_card(decision, question)
            await self.turn(decision["agent"], question, show_question=False)
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
        finally:
            self.busy = False

    async def turn(self, agent: str, question: str, *, show_question: bool = True) -> None:
        """One question to `agent` in the current conversation (a new one when none)."""
        if show_question:
            self.user_bubble(question)
        view = AnswerView(self, self.agents.get(agent), question)
        self.scroll()
        body: dict[str, Any] = {"question": question}
        if self.conversation is not None:
            body["conversation_id"] = self.conversation
        done: dict[str, Any] | None = None
        try:
            async for event, data in self.ctx.api.sse("POST", f"/agents/{agent}/chat", json=body):
                if event == "conversation":
                    new = self.conversation is None
                    self.conversation, self.conversation_agent = data["id"], agent
                    if new:
                        ui.navigate.history.replace(f"/ui/chat?c={data['id']}")
                elif event == "citations":
                    view.add_citations(data)
                elif event == "delta":
                    view.add_text(data.get("text", ""))
                elif event == "done":
                    done = data
                elif event == "error":
                    view.failed(str(data.get("message", "")))
        except ApiProblem as exc:
            view.failed(exc.message)
            raise
        if done is None:
            return
        view.finish(done)
        self.scroll()
        ui.run_javascript(
            chat_voice.js_call("answered", done.get("answer", ""), bool(self.read_aloud.value))
        )
        await self.refresh_history()

    # -- voice ----------------------------------------------------------------------------
    async def init_voice(self) -> None:
        await self.refresh_history()
        try:
            support = await ui.run_javascript(chat_voice.js_call("support"), timeout=5) or {}
        except TimeoutError:
            support = {}
        try:
            server = await self.ctx.api.get("/voice/capabilities")
        except ApiProblem:
            server = {}
        self.voice = {
            "recognition": bool(support.get("recognition")),
            "recorder": bool(support.get("recorder")) and bool(server.get("transcription")),
        }
        self.hands_free.visible = self.voice["recognition"]
        self.mic_slot.clear()
        with self.mic_slot:
            self.mic = self.mic_button("chat")
        if self.ctx.request.query_params.get("c", "").isdigit():
            await self.load(int(self.ctx.request.query_params["c"]))

    def mic_button(self, target: str) -> ui.element:
        """The microphone for `target`, or a greyed-out icon saying why there is none."""
        if not (self.voice.get("recognition") or self.voice.get("recorder")):
            icon = ui.icon("mic_off", size="sm", color="grey-5").classes("q-pa-sm")
            icon.props(f'data-testid="mic-unavailable-{target}"')
            icon.tooltip(self.ctx.t(chat_voice.TEXT, "no_voice"))
            return icon
        hint = "mic" if self.voice.get("recognition") else "mic_record"
        button = ui.button(icon="mic", on_click=lambda: self.toggle_mic(target))
        button.props(f'round flat color=primary data-testid="mic-{target}"')
        button.tooltip(self.ctx.t(chat_voice.TEXT, hint))
        return button

    def toggle_mic(self, target: str) -> None:
        self.listening_target = target
        ui.run_javascript(chat_voice.js_call("toggle", target))

    def toggle_hands_free(self, event: events.ValueChangeEventArguments) -> None:
        ui.run_javascript(chat_voice.js_call("setHandsFree", bool(event.value)))

    def _mic_for(self, target: str) -> Any:
        if target == "record" and self.record_dialog is not None:
            return self.record_dialog.mic
        return getattr(self, "mic", None)

    async def on_voice(self, event: events.GenericEventArguments) -> None:
        data = event.args if isinstance(event.args, dict) else {}
        kind, target = data.get("kind"), data.get("target", "chat")
        if kind == "state":
            mic = self._mic_for(target)
            if isinstance(mic, ui.button):
                on = bool(data.get("listening"))
                mic.props(f"icon={'graphic_eq' if on else 'mic'}")
                mic.props(f"color={'negative' if on else 'primary'}")
                mic.props(remove="flat") if on else mic.props("flat")
        elif kind == "text":
            if target == "record" and self.record_dialog is not None:
                self.record_dialog.heard(str(data.get("text", "")))
            else:
                self.question.value = str(data.get("text", ""))
        elif kind == "send":
            self.question.value = str(data.get("text", ""))
            await self.send()
        elif kind == "error":
            ui.notify(chat_voice.error_message(self.ctx, data), type="warning")

    async def open_record(self) -> None:
        if self.record_dialog is None:
            self.record_dialog = RecordDialog(self.ctx, lambda _dialog: self.mic_button("record"))
        await self.record_dialog.open()


@ui.page("/chat", title="TokenBase")
async def chat_page(request: Request) -> None:
    ctx = await open_page(request, "chat", admin=False)
    if ctx is None:
        return
    try:
        agents = await ctx.api.get("/agents")
    except ApiProblem as exc:
        ctx.notify_error(exc)
        agents = []
    ChatPage(ctx, [a for a in agents if a.get("enabled", True)]).build()
