"""Each PII detector on valid and invalid real-format values; checksums are computed here."""

from __future__ import annotations

import pytest

from tokenbase.guard.pii import UnknownPiiType, detect
from tokenbase.guard.pii.detectors import (
    id_check_char,
    luhn_ok,
    org_code_check_char,
    uscc_check_char,
)


def make_id(region_date_seq: str) -> str:
    """An 18-digit resident ID from its first 17 digits, with the GB 11643 check character."""
    return region_date_seq + id_check_char(region_date_seq)


def make_card(prefix: str, length: int) -> str:
    """A card number of `length` digits starting with `prefix`, with a valid Luhn digit."""
    body = (prefix + "3141592653589793238")[: length - 1]
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def make_uscc(head8: str, org8: str) -> str:
    """A unified social credit code: both the org-code (GB 11714) and GB 32100 checks."""
    first17 = head8 + org8 + org_code_check_char(org8)
    return first17 + uscc_check_char(first17)


def found(text: str, pii_type: str) -> list[str]:
    return [s.value for s in detect(text) if s.type == pii_type]


# -- checksums against published examples -------------------------------------------------------
def test_checksums_match_published_examples() -> None:
    assert id_check_char("11010519491231002") == "X"  # GB 11643 standard's own example
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    code = "91110000802100433B"  # a real company's code, printed on its licence
    assert uscc_check_char(code[:17]) == code[17] and org_code_check_char(code[8:16]) == code[16]


# -- resident ID ----------------------------------------------------------------------------------
def test_resident_id_valid_and_invalid() -> None:
    valid = make_id("33010619601213941")
    assert found(f"身份证号{valid}。", "id_card") == [valid]
    assert found(f"编号 {valid.lower()} 已登记", "id_card") == [valid.lower()]  # x or digit
    bad_check = valid[:17] + str((int(valid[17]) + 1) % 10 if valid[17] != "X" else 0)
    assert found(f"订单号{bad_check}已发货", "id_card") == []  # bad checksum, no cue
    bad_date = make_id("33010619601332941")  # 13th month, checksum valid
    assert found(f"身份证号{bad_date}", "id_card") == []
    future = make_id("33010620991213941")
    assert found(f"证件 {future}", "id_card") == []
    bad_region = make_id("99010619601213941")
    assert found(f"{bad_region}", "id_card") == []


def test_resident_id_inside_a_longer_number_is_not_an_id() -> None:
    valid = make_id("11010519491231002")
    assert found(f"流水号9{valid}7", "id_card") == []
    assert found(f"流水号{valid}1", "id_card") == []


def test_mistyped_id_next_to_its_label_is_masked_less_surely() -> None:
    valid = make_id("11010519900307123")
    typo = valid[:17] + ("0" if valid[17] != "0" else "1")
    spans = [s for s in detect(f"身份证号码为{typo}，") if s.type == "id_card"]
    assert [s.value for s in spans] == [typo] and spans[0].confidence < 0.9


def test_old_15_digit_id() -> None:
    assert found("身份证：110105491231002", "id_card") == ["110105491231002"]
    assert found("身份证：110105491331002", "id_card") == []  # month 13


# -- phones ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "phone",
    ["13812345678", "+86 13812345678", "+8613812345678", "86-13812345678", "138 1234 5678",
     "138-1234-5678", "(+86)19912345678"],
)  # fmt: skip
def test_mobile_forms(phone: str) -> None:
    assert found(f"请拨打{phone}联系", "mobile") == [phone]


@pytest.mark.parametrize("text", ["12812345678", "1381234567", "213812345678", "138123456789"])
def test_mobile_invalid_or_embedded(text: str) -> None:
    assert found(f"编号{text}。", "mobile") == []


@pytest.mark.parametrize(
    "phone",
    ["010-62345678", "0571-88889999", "(021)62345678", "0755 23456789", "0571-88889999转123"],
)
def test_landline_forms(phone: str) -> None:
    assert found(f"座机{phone}。", "landline") == [phone]


def test_landline_needs_a_real_area_code() -> None:
    assert found("号码 0011-1234567 与 91-88889999", "landline") == []


# -- bank cards -----------------------------------------------------------------------------------
@pytest.mark.parametrize("length", [16, 17, 18, 19])
def test_unionpay_cards(length: int) -> None:
    card = make_card("622202", length)
    assert found(f"卡号{card}", "bank_card") == [card]


def test_card_with_spaces_and_other_brands() -> None:
    card = make_card("6222", 16)
    spaced = " ".join(card[i : i + 4] for i in range(0, 16, 4))
    assert found(f"卡号：{spaced}。", "bank_card") == [spaced]
    visa = make_card("4", 16)
    assert found(f"visa {visa}", "bank_card") == [visa]


def test_card_failing_luhn_or_embedded() -> None:
    card = make_card("4", 16)
    broken = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert found(f"付款 {broken}", "bank_card") == []
    assert found(f"序列 {card}5", "bank_card") == []  # inside a longer run
    unknown_brand = make_card("9", 16)
    assert found(f"编号 {unknown_brand}", "bank_card") == []


# -- unified social credit code -------------------------------------------------------------------
def test_uscc_valid_and_invalid() -> None:
    code = make_uscc("91330100", "MA2B3C4D")
    assert found(f"统一社会信用代码：{code}", "uscc") == [code]
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    assert found(f"统一社会信用代码：{wrong}", "uscc") == []
    assert found(f"代码{code}9", "uscc") == []


# -- e-mail, IP, passport, plate ------------------------------------------------------------------
def test_email() -> None:
    assert found("邮箱是zhang.san+cv@mail.example.com.cn，谢谢", "email") == [
        "zhang.san+cv@mail.example.com.cn"
    ]
    assert found("这不是邮箱：user@localhost", "email") == []


def test_ip_addresses() -> None:
    assert found("服务器 192.168.10.20 和 2001:db8::8a2e:370:7334 宕机", "ip") == [
        "192.168.10.20",
        "2001:db8::8a2e:370:7334",
    ]
    assert found("版本 1.2.3.4.5，地址 256.1.1.1，时间 12:30:45", "ip") == []


def test_passport() -> None:
    assert found("护照号码E12345678", "passport") == ["E12345678"]
    assert found("护照：EA1234567", "passport") == ["EA1234567"]
    assert found("型号EA1234567", "passport") == []  # letter forms need the cue
    assert found("编号E123456789", "passport") == []


@pytest.mark.parametrize("plate", ["京A12345", "粤B·D12345", "沪AD12345", "浙A12345F", "川A1234学"])
def test_plates(plate: str) -> None:
    assert found(f"车牌号{plate}，", "plate") == [plate]


def test_plate_invalid() -> None:
    assert found("京I12345 和 京AABCDE 和 京A1234567", "plate") == []


# -- names and addresses (best effort) ------------------------------------------------------------
def test_names_by_cues() -> None:
    text = "联系人：王小明。张伟先生说，主治医生李建华为他开药。欧阳娜娜女士，温迪·格伦医生。"
    assert found(text, "name") == ["王小明", "张伟", "李建华", "欧阳娜娜", "温迪·格伦"]


def test_a_name_found_once_is_found_again() -> None:
    assert found("陶立轩是一位62岁的工程师。后来陶立轩搬家了。", "name") == ["陶立轩", "陶立轩"]


def test_no_name_without_a_cue() -> None:
    assert found("王者荣耀是一款游戏，张家界很美。", "name") == []


def test_addresses() -> None:
    assert found("住在浙江省杭州市西湖区文三路826号3栋502室。", "address") == [
        "浙江省杭州市西湖区文三路826号3栋502室"
    ]
    assert found("地址：朝阳区建国路88号", "address") == ["朝阳区建国路88号"]
    assert found("公司在深圳市南山区科技园", "address") == ["深圳市南山区"]


# -- resolution and API ---------------------------------------------------------------------------
def test_overlaps_keep_the_surer_span() -> None:
    id_number = make_id("62010219800101123")  # region 62 also looks like a UnionPay prefix
    spans = detect(f"证件{id_number}")
    assert [(s.type, s.value) for s in spans] == [("id_card", id_number)]


def test_types_filter_and_unknown_type() -> None:
    assert [s.type for s in detect("手机13812345678 邮箱a@b.cn", types=["email"])] == ["email"]
    with pytest.raises(UnknownPiiType, match="credit_card"):
        detect("x", types=["credit_card"])


def test_span_repr_hides_the_value() -> None:
    span = detect("手机13812345678")[0]
    assert "13812345678" not in repr(span)


def test_fullwidth_digits_and_letters_are_detected_with_original_offsets():
    from tokenbase.guard.pii import detect

    text = "请拨打１３８１２３４５６７８，邮箱ｚｈａｎｇ＠ｘｉｎｇｈｅ.ｃｎ"
    found = {s.type: s for s in detect(text)}
    assert set(found) >= {"mobile", "email"}
    for span in found.values():
        assert span.value == text[span.start : span.end]
    assert found["mobile"].value == "１３８１２３４５６７８"
