"""amount_in_words: the Chinese capital amount (大写金额) printed on receipts."""
from decimal import Decimal

import pytest

from app.printing.services import amount_in_words


@pytest.mark.parametrize("amount, words", [
    ("123456.78", "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"),
    ("10005", "壹万零伍元整"),
    ("0.05", "伍分"),
    ("0.50", "伍角整"),
    ("0.55", "伍角伍分"),
    ("0", "零元整"),
    ("0.00", "零元整"),
    ("1", "壹元整"),
    ("10", "壹拾元整"),
    ("15", "壹拾伍元整"),
    ("100", "壹佰元整"),
    ("101", "壹佰零壹元整"),
    ("110", "壹佰壹拾元整"),
    ("1001", "壹仟零壹元整"),
    ("1010", "壹仟零壹拾元整"),
    ("1100", "壹仟壹佰元整"),
    ("1.05", "壹元零伍分"),
    ("1.50", "壹元伍角整"),
    ("10.05", "壹拾元零伍分"),
    ("100.10", "壹佰元壹角整"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("6007.14", "陆仟零柒元壹角肆分"),
    ("1409.50", "壹仟肆佰零玖元伍角整"),
    ("107000.53", "壹拾万柒仟元伍角叁分"),
    ("10100", "壹万零壹佰元整"),
    ("100100", "壹拾万零壹佰元整"),
    ("1000000", "壹佰万元整"),
    ("1010000", "壹佰零壹万元整"),
    ("2500000", "贰佰伍拾万元整"),
    ("3280000.00", "叁佰贰拾捌万元整"),
    ("100000000", "壹亿元整"),
    ("100000001", "壹亿零壹元整"),
    ("100010000", "壹亿零壹万元整"),
    ("110000000", "壹亿壹仟万元整"),
    ("101000000", "壹亿零壹佰万元整"),
    ("2000000000", "贰拾亿元整"),
    ("1000000000000", "壹万亿元整"),
    ("1234567890123.45", "壹万贰仟叁佰肆拾伍亿陆仟柒佰捌拾玖万零壹佰贰拾叁元肆角伍分"),
    ("9999999999999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("-3", "负叁元整"),
    ("-1234.56", "负壹仟贰佰叁拾肆元伍角陆分"),
])
def test_amount_in_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_amount_is_rounded_half_up_to_the_fen():
    assert amount_in_words(Decimal("0.005")) == "壹分"
    assert amount_in_words(Decimal("0.004")) == "零元整"
    assert amount_in_words(Decimal("19.995")) == "贰拾元整"
    assert amount_in_words(Decimal("1.2345")) == "壹元贰角叁分"


def test_int_and_numeric_string_are_accepted():
    assert amount_in_words(12) == "壹拾贰元整"
    assert amount_in_words("1,000.5") == "壹仟元伍角整"


def test_float_is_refused():
    with pytest.raises(TypeError):
        amount_in_words(0.1)


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", None, True])
def test_not_a_number_is_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        amount_in_words(bad)


def test_too_large_is_refused():
    with pytest.raises(ValueError):
        amount_in_words(Decimal("10000000000000000"))
