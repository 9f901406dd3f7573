"""The proportional refund rule (legs.refund_legs) as a property, without a database."""

from hypothesis import given
from hypothesis import strategies as st

from linli.commerce.legs import PlannedLeg, refund_legs


@given(
    total=st.integers(1, 100_000),
    amounts=st.lists(st.integers(1, 100_000), min_size=1, max_size=14),
    reasons=st.lists(st.sampled_from(["payment", "commission", "fund", "rebate"]), min_size=14),
    cuts=st.lists(st.integers(1, 100_000), max_size=6),
)
def test_partial_refunds_never_exceed_and_a_full_one_is_exact(total, amounts, reasons, cuts):
    original = [PlannedLeg(i, 100 + i, a, "CNY", reasons[i]) for i, a in enumerate(amounts)]
    reversed_so_far = {i: 0 for i in range(len(amounts))}
    refunded = 0
    for cut in [*cuts, total]:  # whatever happened before, the rest is refunded at the end
        after = min(total, refunded + cut)
        for leg in refund_legs(
            original=original,
            amount_fen=total,
            refunded_before_fen=refunded,
            refunded_after_fen=after,
            member_available={},
            subsidy_accounts={},
        ):
            # reversed: the original credit (100 + i) pays back the original debit (i)
            assert leg.amount > 0 and leg.debit_account_id == 100 + leg.credit_account_id
            reversed_so_far[leg.credit_account_id] += leg.amount
        refunded = after
        assert all(reversed_so_far[i] <= a for i, a in enumerate(amounts))
    assert all(reversed_so_far[i] == a for i, a in enumerate(amounts))
