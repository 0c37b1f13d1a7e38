"""Amounts in Chinese capital numerals (大写金额), as written on receipts and cheques."""
from decimal import ROUND_HALF_UP, Decimal

from app.printing.services.formatting import _decimal, _display_decimal

FEN = Decimal("0.01")

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_WAN = 10 ** 4
_YI = 10 ** 8
MAX_AMOUNT_IN_WORDS = Decimal(10 ** 16)


def _words_below_10000(n):
    """1..9999 → 壹仟零伍 (zeros inside written once, no trailing zero)."""
    out, zero = [], False
    for position in (3, 2, 1, 0):
        digit = n // 10 ** position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[digit] + _SMALL_UNITS[position])
    return "".join(out)


def _words_below_yi(n):
    """1..99999999 → 壹拾贰万叁仟肆佰伍拾陆."""
    high, low = divmod(n, _WAN)
    out = ""
    if high:
        out = _words_below_10000(high) + "万"
    if low:
        if high and low < 1000:
            out += "零"
        out += _words_below_10000(low)
    return out


def _integer_words(n):
    """1..(10^16 - 1) → words, with 亿 and 万亿."""
    high, low = divmod(n, _YI)
    out = ""
    if high:
        out = _words_below_yi(high) + "亿"
    if low:
        if high and low < 10 ** 7:
            out += "零"
        out += _words_below_yi(low)
    return out


def amount_in_words(amount):
    """Chinese capital amount (大写金额) as written on receipts and cheques.

    123456.78 → 壹拾贰万叁仟肆佰伍拾陆元柒角捌分; 10005 → 壹万零伍元整; 0.05 → 伍分;
    1.50 → 壹元伍角整; 0 → 零元整; -3 → 负叁元整. Zeros inside the number are written once
    (壹仟零伍元); a whole amount, or one that ends in 角, ends with 整; the 零 that the rules
    make optional after a zero 元 digit is left out (壹仟陆佰捌拾元叁角贰分). The amount is
    rounded half up to the fen. It takes a Decimal (or an int or numeric string); a float is
    refused with TypeError, an amount of 10^16 yuan or more with ValueError.
    """
    value = _decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)
    if abs(value) >= MAX_AMOUNT_IN_WORDS:
        raise ValueError("amount too large to write in words: %s" % value)
    sign = "负" if value < 0 else ""
    fen_total = int(abs(value) * 100)
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    out = sign
    if yuan:
        out += _integer_words(yuan) + "元"
    if jiao:
        out += _DIGITS[jiao] + "角"
    if fen:
        if yuan and not jiao:
            out += "零"
        out += _DIGITS[fen] + "分"
    else:
        out += "整"
    return out


def _amount_in_words_filter(value):
    if value is None or value == "":
        return ""
    return amount_in_words(_display_decimal(value))
