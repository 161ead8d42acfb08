"""Money, exactly: amounts and costs are decimal text, read as ``Fraction`` (a share of a budget is
compared with sums of other shares, and rounding would decide ties that are not ties)."""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from concord.service.errors import Invalid, Label

Amount = str | int | Fraction | Decimal  # what an amount may be given as (a float is not exact: refused)
MONEY_LIMIT = Fraction(10**15)
MONEY_DECIMALS = 6
GROUPING = {",", "\u066c", " ", "\u00a0", "\u202f", "'", "_"}  # thousands separators of the scripts people type
DECIMAL_POINTS = {".", "\u066b"}  # and the Arabic decimal separator


def parse_money(value: object, what: Label, field: str) -> Fraction:
    """An amount as people type it: any script's digits (۲۵۰۰۰۰۰), thousands separators, a point or the
    Arabic decimal separator; positive, at most a quadrillion, at most six decimals. A float is refused
    (not exact; NaN and infinities among them), and so is text such as "nan" or "1e999"."""
    amount = None
    if isinstance(value, str | int | Fraction | Decimal) and not isinstance(value, bool):
        text = "".join(
            str(unicodedata.digit(c)) if c.isdigit() else "." if c in DECIMAL_POINTS else "" if c in GROUPING else c
            for c in str(value).strip()
        )
        try:
            amount = Fraction(Decimal(text)) if text and text.replace(".", "", 1).isdigit() else None
        except (InvalidOperation, ValueError):
            amount = None
    if amount is None or amount <= 0 or amount > MONEY_LIMIT or (amount * 10**MONEY_DECIMALS).denominator != 1:
        raise Invalid(
            "%(what)s must be an amount more than 0 and at most %(most)s, such as 25000 or 1250.50",
            "not_money",
            field=field,
            what=what,
            most=int(MONEY_LIMIT),
        )
    return amount


def money_text(amount: Fraction) -> str:
    """An exact decimal as text ("2500000", "1250.5")."""
    if amount.denominator == 1:
        return str(amount.numerator)
    text = format(Decimal(amount.numerator) / Decimal(amount.denominator), "f")
    return text.rstrip("0").rstrip(".")
