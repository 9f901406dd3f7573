"""The rounding rule: parts always add up; residues are bounded and go where documented."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linli.ledger.allocation import (
    AllocationError,
    pro_rata_floor,
    split_basis_points,
    split_largest_remainder,
)

totals = st.integers(min_value=0, max_value=10**13)
weights = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(any)


@given(totals, weights)
def test_largest_remainder_parts_add_up_and_stay_within_one_unit(total, ws):
    parts = split_largest_remainder(total, ws)
    assert sum(parts) == total
    for part, w in zip(parts, ws, strict=True):
        exact = total * w / sum(ws)
        assert abs(part - exact) < 1 + 1e-6 * max(1, exact)


@given(totals, weights)
def test_pro_rata_floor_never_pays_more_than_the_exact_share(total, ws):
    shares, residue = pro_rata_floor(total, ws)
    assert sum(shares) + residue == total
    assert 0 <= residue < len(ws)
    assert all(s * sum(ws) <= total * w for s, w in zip(shares, ws, strict=True))


def test_a_worked_sale_split_to_the_fen():
    # 33.33 CNY sale: 2% commission, 0.5% fund, the merchant keeps the rest.
    # Exact shares 66.66 / 16.665 / 3249.675 → floors 66 / 16 / 3249 (sum 3331); the two
    # fen left go to the largest remainders: merchant (.675), then fund (.665).
    parts = split_basis_points(3_333, {"commission": 200, "fund": 50}, rest="merchant")
    assert parts == {"commission": 66, "fund": 17, "merchant": 3_250}


def test_ties_go_to_the_earlier_part():
    assert split_largest_remainder(10, [1, 1, 1]) == [4, 3, 3]


@pytest.mark.parametrize(
    ("total", "ws"), [(-1, [1]), (10, []), (10, [-1, 2]), (10, [0, 0]), (1.5, [1])]
)
def test_bad_inputs_are_refused(total, ws):
    with pytest.raises(AllocationError):
        split_largest_remainder(total, ws)


def test_shares_over_one_hundred_percent_are_refused():
    with pytest.raises(AllocationError):
        split_basis_points(100, {"a": 6000, "b": 5000}, rest="c")
