"""Integers to text at the edge (DESIGN.md: `Decimal` only for input and display)."""

from decimal import Decimal

# Scale per asset: CNY in fen and time coins in hundredths show 2 decimals; points none.
ASSET_SCALES = {"CNY": 2, "TIME": 2, "PTS": 0}


def amount_display(amount: int, asset: str) -> str:
    """`12345, "CNY"` → `"123.45"`; `-5, "TIME"` → `"-0.05"`; `7, "PTS"` → `"7"`."""
    scale = ASSET_SCALES.get(asset, 0)
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("amounts are integers in minor units")
    value = Decimal(amount).scaleb(-scale)
    return f"{value:.{scale}f}"
