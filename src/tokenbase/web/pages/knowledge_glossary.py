"""The glossary dialog: the instance's terms, synonyms and abbreviations (GET /glossary),
editable by administrators (PUT /glossary, audited); others see it read-only."""

from __future__ import annotations

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext

TEXT: Table = {
    "title": ("术语表", "Glossary"),
    "hint": (
        "每行一组：词条 = 同义词, 缩写（# 开头为注释）。检索时，查询中出现组内任一词，"
        "都会用组内其他词一起检索；新词条在服务重启后加入分词词典。",
        "One group a line: term = synonym, abbreviation (# starts a comment). A query that "
        "contains any member of a group also searches for the others; new terms join the "
        "word-segmentation dictionary when the server restarts.",
    ),
    "readonly": ("只有管理员可以修改术语表。", "Only administrators may change the glossary."),
    "groups": ("{n} 组，{terms} 个词", "{n} groups, {terms} terms"),
    "save": ("保存", "Save"),
    "close": ("关闭", "Close"),
    "saved": ("术语表已保存", "Glossary saved"),
}


async def glossary_dialog(ctx: PageContext) -> None:
    try:
        glossary = await ctx.api.get("/glossary")
    except ApiProblem as exc:
        ctx.notify_error(exc)
        return
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-2xl"):
        ui.label(ctx.t(TEXT, "title")).classes("text-h6")
        ui.label(ctx.t(TEXT, "hint")).classes("text-caption text-grey-7")
        editor = (
            ui.textarea(value=glossary["text"], placeholder="报销 = 报账, 费用报销\nKB = 知识库")
            .props('outlined autogrow data-testid="glossary-text"')
            .classes("w-full font-mono")
        )
        counts = ui.label(
            ctx.t(TEXT, "groups", n=len(glossary["groups"]), terms=glossary["terms"])
        ).classes("text-caption text-grey-7")
        if not ctx.is_admin:
            editor.props("readonly")
            ui.label(ctx.t(TEXT, "readonly")).classes("text-caption text-grey-7")

        async def save() -> None:
            try:
                saved = await ctx.api.put("/glossary", json={"text": editor.value or ""})
            except ApiProblem as exc:
                ctx.notify_error(exc)
                return
            counts.text = ctx.t(TEXT, "groups", n=len(saved["groups"]), terms=saved["terms"])
            ui.notify(ctx.t(TEXT, "saved"), type="positive")
            dialog.close()

        with ui.row().classes("w-full justify-end"):
            ui.button(ctx.t(TEXT, "close"), on_click=dialog.close).props("flat")
            if ctx.is_admin:
                ui.button(ctx.t(TEXT, "save"), on_click=save).props('data-testid="glossary-save"')
    dialog.on("hide", dialog.delete)
    dialog.open()
