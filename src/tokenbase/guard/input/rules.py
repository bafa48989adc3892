"""Layered injection rules: named regular expressions, each with a category and a score.

Rules run on the normalised text (`normalize.normalise`: fullwidth, zero-width, homoglyphs and
case folded first), so `ｉｇｎｏｒｅ`, `忽\u200b略` and `ignоre` (Cyrillic о) match like the plain
forms. Layers, in order:

1. phrase rules per category (below), Chinese and English;
2. encoding tricks: base64 / hex / `\\uXXXX` runs are decoded and the decoded text is run
   through layer 1 (one level deep); an instruction to decode-and-follow is a rule of its own;
3. obfuscation signals: zero-width characters inside the text.

Categories: `override` (ignore / replace the instructions), `jailbreak` (role play without
limits, developer mode, DAN), `extraction` (reveal the system prompt), `delimiter` (fake
system / chat-template markers), `dialogue_completion` (fake conversation turns with a
pre-filled compliant answer), `goal_hijack` (make the model output a fixed sentence),
`encoding`, `obfuscation`.

A rule's score is how sure it is alone; the policy compares the highest score (rules and
classifier) with its thresholds. Harmless company sentences that share words with attacks —
"请忽略上一版报价单", "系统管理员的指令手册" — must not match: each rule needs the attack's
structure (a verb aimed at *the instructions*, not just the word 忽略).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from .findings import Finding
from .normalize import Normalised, normalise


@dataclass(frozen=True)
class Rule:
    name: str
    category: str
    pattern: re.Pattern[str]
    score: float


def _r(name: str, category: str, score: float, pattern: str) -> Rule:
    return Rule(name, category, re.compile(pattern, re.IGNORECASE | re.DOTALL), score)


# Shared fragments (normalised text: lower case, ASCII punctuation for fullwidth forms).
_ZH_PRIOR = r"(之前|以前|此前|先前|上面|上述|以上|前面|前述|刚才|原有|原来|原始|原先|初始|所有|全部|一切|任何|你的|系统的?)"
_ZH_INSTR = r"(指令|指示|提示词?|命令|规则|设定|设置|限制|约束|要求|规定|对话|上下文|prompt)"
_ZH_IGNORE = r"(忽略|忽视|无视|忘记|忘掉|忘了|抛开|抛弃|丢弃|丢掉|不要理会|别管|不用管|不必遵守|不要遵守|停止遵守|绕过|跳过|覆盖|推翻|取消)"
_EN_IGNORE = r"(ignore|disregard|forget|override|overrule|bypass|skip|discard|drop|abandon|neglect)"
_EN_PRIOR = r"(all|any|the|your|my|every|previous|prior|above|earlier|preceding|former|original|initial|system|these|those|of|\s)*"
_EN_INSTR = r"(instructions?|directions?|directives?|rules?|prompts?|guidelines?|guidance|programming|constraints?|restrictions?|context|commands?|orders)"

RULES: tuple[Rule, ...] = (
    # -- override: ignore / replace the instructions ------------------------------------------
    _r("zh_ignore_instructions", "override", 0.95,
       _ZH_IGNORE + r".{0,8}?" + _ZH_PRIOR + r".{0,10}?" + _ZH_INSTR),
    _r("en_ignore_instructions", "override", 0.95,
       r"\b" + _EN_IGNORE + r"\b" + _EN_PRIOR + r".{0,20}?\b" + _EN_INSTR + r"\b"),
    _r("zh_new_instructions", "override", 0.8,
       r"(新的?|真正的?|更新后?的|最高优先级的?)(系统)?(指令|指示|任务|规则)\s*(是|如下|为|:)"),
    _r("en_new_instructions", "override", 0.8,
       r"\b(new|updated|real|actual|true)\s+(system\s+)?(instructions?|task|rules?)\s*(are|is|:|follow)"),
    _r("zh_instead_do", "override", 0.75,
       r"(不要|别|不用)(再)?(回答|执行|理会|管)(用户|原来|之前|上面)的?.{0,12}(而是|改为|只需|只要|直接)"),
    _r("en_instead_do", "override", 0.75,
       r"\b(instead|rather),?\s+(you\s+)?(must|should|will)\s+(only\s+)?(say|output|print|respond|reply|write)"),
    # -- jailbreak: role play without limits, developer mode, DAN ------------------------------
    _r("zh_no_limits", "jailbreak", 0.9,
       r"((不受|没有|无|摆脱|解除|打破|突破|不再受|不用受|不必受|无需遵守|不必遵守|不需要遵守)(任何)?的?"
       r"(道德|伦理|法律|审查|安全|内容)(和|与|或|、)?(道德|伦理|法律|审查)?的?(限制|约束|束缚|规范|准则|审查|过滤|底线|规则))"
       r"|(不受任何|没有任何|摆脱一切|摆脱所有|无视一切|不遵守任何)(的)?(限制|约束|规则|束缚)"),
    _r("zh_even_if_unethical", "jailbreak", 0.9,
       r"(即使|即便|就算|哪怕|尽管).{0,16}(不符合|违反|违背|违法|不道德|有悖|触犯).{0,12}(道德|法律|伦理|规范|标准)"),
    _r("zh_never_refuse", "jailbreak", 0.85,
       r"(从不|绝不|永远不|不会|不能|不要|不得)(会)?(拒绝|推辞)(回答|任何|你|用户|我)"),
    _r("zh_developer_mode", "jailbreak", 0.9,
       r"((进入|开启|启用|激活|切换到|切换为|处于|打开|启动)\s*(了)?\s*(开发者|开发人员|上帝|调试|管理员|root|dan)\s*模式)"
       r"|((越狱|无限制|无审查|无过滤|邪恶)\s*模式)"),
    _r("en_developer_mode", "jailbreak", 0.9,
       r"\b(enable|enabled|activate|activated|enter|entering|switch to|you are (now )?in|now in|act in|simulate)\s+"
       r"(the\s+)?(developer|dev|god|debug|admin|dan)\s*mode\b|\b(jailbreak|jailbroken|unrestricted|unfiltered|evil)\s*mode\b"),
    _r("en_dan", "jailbreak", 0.9,
       r"\b(dan|do anything now|stan|dude|aim|evil ?bot|anti-?gpt|betterdan)\b.{0,40}"
       r"\b(mode|persona|character|jailbreak|anything|no (rules|limits|restrictions))"),
    _r("en_do_anything_now", "jailbreak", 0.95, r"\bdo anything now\b"),
    _r("en_no_limits", "jailbreak", 0.9,
       r"\b(without|no|free (of|from)|not bound by|ignores?|freed from)\s+(any\s+)?"
       r"(moral|ethical|legal|content|safety|openai)?\s*"
       r"(restrictions?|limitations?|limits|filters?|guidelines?|censorship|rules|constraints|policies)\b"),
    _r("en_never_refuse", "jailbreak", 0.85,
       r"\b(never|cannot|can't|won't|will not|must not|do not|don't)\s+(ever\s+)?"
       r"(refuse|decline|say no|reject)\b"),
    _r("en_stay_in_character", "jailbreak", 0.7, r"\bstay in character\b|\bbreak(ing)? character\b"),
    _r("zh_pretend_no_rules", "jailbreak", 0.85,
       r"(假装|假设|想象)(你|自己)(是|成为|变成).{0,20}(没有|不受|无).{0,6}(限制|约束|规则|道德|审查)"),
    # -- extraction: reveal the system prompt --------------------------------------------------
    _r("zh_reveal_prompt", "extraction", 0.9,
       r"(输出|显示|打印|告诉我|泄露|泄漏|重复|复述|透露|给出|展示|说出|列出|贴出|发给我|念出)"
       r".{0,10}(你的|你收到的|你被给予的|最初的|最开始的|上面的|之前的|原始的|隐藏的|内部的)?"
       r"(系统提示词?|系统指令|系统消息|system ?prompt|初始(指令|提示词?)|原始(指令|提示词?)|"
       r"预设(指令|提示词?)|隐藏(指令|提示词?)|开发者(指令|消息)|提示词)"),
    _r("zh_what_is_prompt", "extraction", 0.85,
       r"你的(系统提示词?|系统指令|初始指令|原始指令|提示词|设定)(是什么|是啥|有哪些|内容)"),
    _r("zh_repeat_above", "extraction", 0.8,
       r"(重复|复述|逐字|原样|一字不差地?)(输出|重复|复述|打印)?.{0,6}(上面|以上|前面|之前)(的)?(所有)?(文字|内容|文本|话|指令)"),
    _r("en_reveal_prompt", "extraction", 0.9,
       r"\b(reveal|print|show|output|display|repeat|tell me|give me|leak|dump|recite|write out|spell out)\b"
       r".{0,24}\b(system prompt|initial prompt|original prompt|hidden prompt|pre-?prompt|"
       r"your (instructions|prompt|rules|guidelines)|(the )?(instructions|text|words) (above|before)|"
       r"access code|password|secret (code|key|password))"),
    _r("en_what_is_prompt", "extraction", 0.85,
       r"\bwhat (is|are|were) (your (system prompt|initial instructions|original instructions|"
       r"instructions|rules|prompt|access code|password|secret)|the (system prompt|access code|secret password))\b"),
    _r("en_repeat_above", "extraction", 0.8,
       r"\b(repeat|recite|print|output)\b.{0,20}\b(everything|all|the text|the words|verbatim)\b.{0,20}\b(above|before|prior|so far)\b"),
    # -- delimiter tricks: fake chat-template / system markers ---------------------------------
    _r("chat_template_tokens", "delimiter", 0.95,
       r"<\|(im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id)\|>|\[/?inst\]|<</?sys>>|</?s>\s*\[inst"),
    _r("fake_system_tag", "delimiter", 0.85,
       r"(<\s*/?\s*(system|sys|admin|developer|instructions?)\s*>|\[\s*(system|admin|developer|系统)\s*(message|prompt|note|消息|提示)?\s*\]|"
       r"【\s*(系统|管理员|开发者)(消息|指令|提示|通知)?\s*】)"),
    _r("fake_system_line", "delimiter", 0.7,
       r"(^|\n)\s*(#+\s*)?(system|系统|developer|开发者)\s*(message|prompt|消息|提示|指令)?\s*:\s*\S"),
    _r("end_of_prompt_marker", "delimiter", 0.8,
       r"(end of (the )?(system )?(prompt|instructions|context|document))|(-{3,}|={3,}|#{3,})\s*(new|updated)?\s*(instructions?|指令|system)"),
    # -- dialogue completion: fake turns with a pre-filled compliant answer --------------------
    _r("prefilled_compliance", "dialogue_completion", 0.9,
       r"[:\"“]\s*(好的|当然|没问题|没错|可以|sure|certainly|of course|absolutely|okay|ok)[^\n。]{0,24}"
       r"(如下|这很简单|很简单|因为|步骤|计划|建议|here is|here's|here are|steps)[^\n]{0,12}(1\.|1、|一、|第一|step 1)"),
    _r("zh_continue_dialogue", "dialogue_completion", 0.8,
       r"(续写|补全|填充|补充完整|接着写|继续写)[^。\n]{0,12}(对话|回答|回应|台词)"),
    _r("fake_assistant_turn", "dialogue_completion", 0.75,
       r"(^|\n)\s*(assistant|ai|助手|模型|chatgpt|gpt)\s*:\s*(好的|当然|没问题|sure|certainly|of course|absolutely)"),
    # -- goal hijacking: make the model emit a fixed sentence ----------------------------------
    _r("zh_parrot", "goal_hijack", 0.8, r"(复读机|鹦鹉学舌|照抄(下面|以下)|原样输出(下面|以下))"),
    _r("en_say_exactly", "goal_hijack", 0.75,
       r"\b(say|respond|reply|output|print|answer)\s+(only\s+|exactly\s+|just\s+)*(with\s+)?[\"'“]?access granted"),
    _r("zh_fill_blank_story", "jailbreak", 0.7,
       r"【\s*】.{0,10}(部分|处)"),
    _r("zh_one_sided_proof", "goal_hijack", 0.7,
       r"(积极影响|好处|正面作用|优点|益处).{0,8}(以|来|用来)证明"),
    # -- encoding: decode and follow -----------------------------------------------------------
    _r("decode_and_follow", "encoding", 0.85,
       r"(解码|解密|base64|转码|翻译).{0,16}(后|并|然后)?.{0,6}(执行|照做|遵循|按照|服从|运行)|"
       r"\b(decode|decrypt|base64|rot13)\b.{0,30}\b(and|then)\s+(follow|execute|do|obey|run)\b"),
)  # fmt: skip

_B64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_HEX = re.compile(
    r"(?:\\x[0-9a-fA-F]{2}){4,}|(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2}){10,}(?![0-9a-fA-F])"
)
_UESC = re.compile(r"(?:\\u[0-9a-fA-F]{4}){3,}")


def _printable_ratio(text: str) -> float:
    if not text:
        return 0.0
    good = sum(1 for c in text if c.isprintable() or c in "\n\t")
    return good / len(text)


def _decode_runs(original: str) -> list[tuple[int, int, str, str]]:
    """(start, end, decoded text, encoding) for base64 / hex / unicode-escape runs that decode
    to mostly printable text. Offsets are in `original`."""
    out: list[tuple[int, int, str, str]] = []
    for m in _B64.finditer(original):
        raw = m.group(0)
        if raw.isalpha() or raw.isdigit() or len(set(raw)) < 8:
            continue  # a long word or number, not base64
        try:
            decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if _printable_ratio(decoded) > 0.95:
            out.append((m.start(), m.end(), decoded, "base64"))
    for m in _HEX.finditer(original):
        digits = m.group(0).replace("\\x", "")
        try:
            decoded = bytes.fromhex(digits).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        if _printable_ratio(decoded) > 0.95:
            out.append((m.start(), m.end(), decoded, "hex"))
    for m in _UESC.finditer(original):
        try:
            decoded = m.group(0).encode("ascii").decode("unicode_escape")
        except UnicodeDecodeError:
            continue
        out.append((m.start(), m.end(), decoded, "unicode_escape"))
    return out


def _phrase_findings(norm: Normalised) -> list[Finding]:
    findings = []
    for rule in RULES:
        m = rule.pattern.search(norm.text)
        if m:
            findings.append(
                Finding(
                    "injection",
                    rule.name,
                    rule.category,
                    norm.span(m.start(), m.end()),
                    rule.score,
                    matched=m.group(0)[:80],
                )
            )
    return findings


def match_rules(text: str, norm: Normalised | None = None) -> list[Finding]:
    """Every rule that fires on `text` (spans in `text`), including rules that fire on an
    encoded payload once decoded, and the zero-width obfuscation signal."""
    norm = norm or normalise(text)
    findings = _phrase_findings(norm)
    if any(ch in text for ch in "=\\") or _B64.search(text):
        for start, end, decoded, encoding in _decode_runs(text):
            inner = _phrase_findings(normalise(decoded))
            if inner:
                best = max(inner, key=lambda f: f.score)
                findings.append(
                    Finding(
                        "injection",
                        f"{encoding}:{best.rule}",
                        "encoding",
                        (start, end),
                        min(1.0, best.score),
                        matched=decoded[:80],
                    )
                )
    if norm.zero_width >= 2:
        findings.append(
            Finding("injection", "zero_width_chars", "obfuscation", (0, len(text)), 0.5)
        )
    return findings
