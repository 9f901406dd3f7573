"""Integer splitting of amounts (DESIGN.md: largest remainder, residue to a named account).

The rule, documented once (docs/ledger.md "Rounding"):
1. `split_largest_remainder` splits a total into parts proportional to integer weights so the
   parts add up to the total exactly: every part gets the floor of its exact share, and the
   units left over go one each to the parts with the largest fractional remainders; ties go
   to the earlier part in the order given. Used when the whole amount is shared out (a
   sale: merchant, commission, fund) — nothing is left over, so no rounding account.
2. `split_basis_points` takes percentages of a total in basis points plus the name of the
   part that receives the rest (usually the merchant) and applies rule 1.
3. `pro_rata_floor` is for distributions where each recipient must not get more than their
   exact share (quarterly profit sharing): everyone gets the floor, and the residue is
   returned for posting to the community's rounding account.
"""

from collections.abc import Mapping, Sequence

BASIS_POINTS = 10_000


class AllocationError(ValueError):
    pass


def split_largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    _check_inputs(total, weights)
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise AllocationError("weights must not all be zero")
    floors = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    left_over = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left_over]:
        floors[i] += 1
    return floors


def split_basis_points(total: int, shares_bp: Mapping[str, int], rest: str) -> dict[str, int]:
    """Percentages of `total`; the part named `rest` gets whatever the others do not."""
    if rest in shares_bp:
        raise AllocationError("the rest part must not have its own share")
    taken_bp = sum(shares_bp.values())
    if any(bp < 0 for bp in shares_bp.values()) or taken_bp > BASIS_POINTS:
        raise AllocationError("shares must be between 0 and 10000 basis points in total")
    names = [*shares_bp, rest]
    weights = [*shares_bp.values(), BASIS_POINTS - taken_bp]
    return dict(zip(names, split_largest_remainder(total, weights), strict=True))


def pro_rata_floor(total: int, weights: Sequence[int]) -> tuple[list[int], int]:
    """Floor shares; the residue (always < number of recipients) goes to the rounding account."""
    _check_inputs(total, weights)
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [0] * len(weights), total
    shares = [total * w // weight_sum for w in weights]
    return shares, total - sum(shares)


def _check_inputs(total: int, weights: Sequence[int]) -> None:
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise AllocationError("total must be a non-negative integer")
    if not weights:
        raise AllocationError("at least one part is needed")
    if any(not isinstance(w, int) or isinstance(w, bool) or w < 0 for w in weights):
        raise AllocationError("weights must be non-negative integers")
