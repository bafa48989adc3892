"""Turn the bytes of a text file into str, refusing to guess when the result would be garbage.

Order: byte-order mark; UTF-16/32 recognised by their NUL-byte pattern; binary check; strict
UTF-8; strict GB18030 (a superset of GBK and GB2312) if the result reads like Chinese; UTF-16
without BOM or NULs if it reads like Chinese; charset-normalizer's best guess if it is clean.
Strict GB18030 accepts almost any byte string, so its result is only taken when most of its
Han characters are common ones (in GB2312, and often among the 500 most frequent) and it holds
no private-use, control or kana characters.
"""

from __future__ import annotations

import codecs
import unicodedata

from .errors import DecodingError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE = 64 * 1024
_WHITESPACE_CONTROLS = frozenset("\t\n\r\f\v")
_CONTROL_BYTES = frozenset(set(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1B}) | {0x7F}
_MAX_GARBAGE = 0.02  # control, private-use, unassigned and replacement characters
_MIN_COMMON_HAN = 0.6  # share of Han characters that are in GB2312 (random bytes give ~0.3)
_MAX_ODD_NON_ASCII = 0.05  # GB18030 four-byte characters among non-ASCII characters

# The 500 most frequent Han characters (by word frequency in jieba's dictionary). Real text
# has 50-75% of its Han characters here; bytes decoded with the wrong codec ~7%.
_FREQUENT_HAN = frozenset(
    "一是人了不在有大中国和为这上他个地年来我会以到时要出的生学说道民家子也成行下们于后就发自之"
    "对得主长可过天作分方用多你着部能市等业全里工公经本都而高政法面门动日进区事代那去心小同北定"
    "开产前其军还然起种所如现理机体表力好外与文当两实重新三么只山水关明从化平建又制南内西没此将"
    "员名手最东头者月间无安看见各城十相但已些正口通想度加第她合院物性战由位常点海意场武使次二向"
    "治因立数样身情入原问把路被并利石老教万知级量任江及应省资委务元美特期世湖回系比气汉总展电科"
    "金先声提品设或义王社很统处四首共马形己儿司太目基领队直计别女权话少流命至报米给打变果书清活"
    "几州华解议更称程今决张导术府才保交放管结师便走达族反再题色五京河接条规式县白它改风光运信受"
    "什组听布百济党指论强做取技黄神选记斯真却职号界件花类何眼兵传带空干农边据集联古广完质阳难增"
    "历史专官每住商即步认车台林必死游举线言皇土团收考求德叫近备研争非具李众连调感转笑革该持始英"
    "克士尔让拉思根格造较际亲单朝红型价校约器字段周亚深候则功属积快图火千准究往极育装许参半令吃"
    "观鱼精办像帝八复影告远群包整构料随划算象容示投势热值夫网望源息语股铁断派速怎需片爱律纪支早"
    "况病境证编"
)
_MIN_FREQUENT_HAN = 0.25
_PREFERRED = ("cp1252", "cp1250", "big5", "shift_jis", "euc_jp", "euc_kr")

_TRIED = "UTF-8, UTF-16, UTF-32, GB18030/GBK and automatic detection"


def decode_text(data: bytes, source_name: str) -> str:
    """Decode a text file's bytes to str with newlines normalised to '\\n'.

    Raises DecodingError (naming the file and the encodings tried) for binary data or bytes
    no encoding turns into readable text.
    """
    if not data:
        return ""
    text = _decode(data, source_name or "this file")
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, name: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise DecodingError(
                    f"'{name}' starts with a {encoding.upper()} byte-order mark but is not valid "
                    f"{encoding.upper()} ({exc.reason} at byte {exc.start + len(bom)}). "
                    "Re-save the file as UTF-8 and upload it again."
                ) from exc

    wide = _wide_encoding(data)
    if wide:
        text = _try(data, wide)
        if text is not None and _garbage_ratio(text) <= _MAX_GARBAGE:
            return text

    if _looks_binary(data):
        raise DecodingError(
            f"'{name}' looks like a binary file, not text (it contains many NUL or control "
            "bytes). Check that it really is a text file; if it is, re-save it as UTF-8."
        )

    text = _utf8(data)
    if text is not None:
        return text

    text = _try(data, "gb18030")
    if text is not None and _reads_like_chinese(text):
        return text

    if len(data) % 2 == 0:
        for encoding in ("utf-16-le", "utf-16-be"):
            text = _try(data, encoding)
            if text is not None and _reads_like_chinese(text, strict=True):
                return text

    return _best_guess(data, name)


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _utf8(data: bytes) -> str | None:
    """Strict UTF-8; a multi-byte character cut off at the very end is dropped."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8")
        return None


def _wide_encoding(data: bytes) -> str | None:
    """UTF-16/32 without a BOM, recognised by where the NUL bytes fall in each code unit.

    In UTF-32 the two high bytes of every BMP character are NUL; in UTF-16 the high byte of
    every ASCII character (spaces, digits, newlines) is NUL while the low byte seldom is (only
    in characters like U+4E00 '一'). Binary data rarely survives strict UTF-16 decoding (lone
    surrogates), and the caller still checks that the decoded text is clean.
    """
    sample = data[:_SAMPLE]
    if b"\x00" not in sample or len(sample) < 4:
        return None
    if len(data) % 4 == 0:
        zeros = _zero_share(sample, 4)
        if zeros[2] > 0.95 and zeros[3] > 0.95 and zeros[0] < 0.5:
            return "utf-32-le"
        if zeros[0] > 0.95 and zeros[1] > 0.95 and zeros[3] < 0.5:
            return "utf-32-be"
    if len(data) % 2 == 0:
        first, second = _zero_share(sample, 2)
        if max(first, second) >= 0.05 and min(first, second) <= 0.7 * max(first, second):
            return "utf-16-le" if second > first else "utf-16-be"
    return None


def _zero_share(sample: bytes, width: int) -> list[float]:
    """For each byte position within a `width`-byte unit, the share of units with a NUL there."""
    units = len(sample) // width
    return [sample[i : units * width : width].count(0) / units for i in range(width)]


def _looks_binary(data: bytes) -> bool:
    sample = data[:_SAMPLE]
    if sample.count(0) > max(1, len(sample) // 1000):
        return True
    controls = sum(1 for b in sample if b in _CONTROL_BYTES)
    return controls > max(2, len(sample) // 100)


def _garbage_ratio(text: str) -> float:
    """Share of non-space characters that no real text contains."""
    total = bad = 0
    for ch in text[:_SAMPLE]:
        if ch.isspace():
            continue
        total += 1
        if ch == "\ufffd" or (
            unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") and ch not in _WHITESPACE_CONTROLS
        ):
            bad += 1
    return bad / total if total else 0.0


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _in_gbk(ch: str) -> bool:
    try:
        ch.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def _reads_like_chinese(text: str, strict: bool = False) -> bool:
    """Plausibility of a GB18030 (or BOM-less UTF-16) decoding.

    Real Chinese text uses common characters (GB2312 covers >99% of simplified usage, the 500
    most frequent over half) and hardly any four-byte GB18030 characters; bytes decoded with
    the wrong codec scatter over rare Han characters, private-use code points and odd scripts.
    """
    if _garbage_ratio(text) > _MAX_GARBAGE:
        return False
    sample = text[:_SAMPLE]
    han = common = frequent = non_ascii = odd = 0
    for ch in sample:
        if ch < "\x80":
            continue
        non_ascii += 1
        if _is_han(ch):
            han += 1
            common += _in_gb2312(ch)
            frequent += ch in _FREQUENT_HAN
        elif "\u3040" <= ch <= "\u30ff" or not _in_gbk(ch):
            odd += 1  # kana: Japanese (EUC-JP decodes as GB2312); else a four-byte GB18030 char
    if not non_ascii:
        return not strict  # plain ASCII cannot be wrong as GB18030; UTF-16 needs evidence
    if odd / non_ascii > _MAX_ODD_NON_ASCII:
        return False
    if not han or common / han < (0.9 if strict else _MIN_COMMON_HAN):
        return False
    if strict and han / non_ascii < 0.5:
        return False
    return han < 8 or frequent / han >= _MIN_FREQUENT_HAN


def _best_guess(data: bytes, name: str) -> str:
    from charset_normalizer import from_bytes

    results = list(from_bytes(data[: 4 * _SAMPLE]))
    best = min(results, key=lambda m: m.chaos) if results else None
    if best is not None:
        # On short text many code pages tie; prefer the ones files are actually written in.
        ties = [m for m in results if m.chaos <= best.chaos + 0.05]
        rank = {enc: i for i, enc in enumerate(_PREFERRED)}
        best = min(ties, key=lambda m: (rank.get(m.encoding, len(rank)), m.chaos))
    guess = best.encoding if best is not None else None
    if best is not None and best.chaos <= 0.2:
        text = _try(data, best.encoding)
        if text is not None and _garbage_ratio(text) <= _MAX_GARBAGE:
            return text
    detail = f"; the best guess, {guess}, gives garbled text" if guess else ""
    raise DecodingError(
        f"'{name}' is not in an encoding TokenBase can read (tried {_TRIED}{detail}). "
        "Open it in an editor, re-save it as UTF-8, and upload it again."
    )
