"""Hypothesis drives random postings, holds, voids and reversals against a tiny model.

After every step: every balance equals the model's, member wallets never go negative, each
asset's trial balance is zero, entries chain without gaps and snapshots equal Σ entries.
"""

import itertools

import pytest
from django.db.models import F, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from linli.ledger import errors
from linli.ledger.models import Account, AccountKind, Entry
from linli.ledger.selectors import account_balance
from linli.ledger.services import (
    Leg,
    account_open,
    chart_ensure,
    hold_create,
    hold_post,
    hold_void,
    journal_post,
    journal_reverse,
)
from tests.ledger.conftest import create_community

pytestmark = [pytest.mark.django_db, pytest.mark.db_sensitive]

WALLETS = 4
amounts = st.integers(min_value=1, max_value=400)
wallet_index = st.integers(min_value=0, max_value=WALLETS - 1)


class LedgerMachine(RuleBasedStateMachine):
    _communities = itertools.count()

    @initialize()
    def setup(self) -> None:
        self.community = create_community(f"stateful-{next(self._communities)}")
        chart = chart_ensure(community=self.community)
        self.cash_in = chart[(AccountKind.CASH_IN, "CNY")]
        self.revenue = chart[(AccountKind.PLATFORM_REVENUE, "CNY")]
        self.escrow = chart[(AccountKind.FEE_ESCROW, "CNY")]
        self.wallets = [
            account_open(
                community=self.community,
                kind=AccountKind.MEMBER_WALLET,
                asset="CNY",
                owner_type="member",
                owner_id=i,
            )
            for i in range(WALLETS)
        ]
        # the model: posted balance, held amount per wallet; open holds; reversible journals
        self.posted = [0] * WALLETS
        self.held = [0] * WALLETS
        self.revenue_balance = 0
        self.holds: list = []  # (hold id, wallet, amount), in the order they were made
        self.journals: list = []
        self.keys = itertools.count()

    def _key(self) -> str:
        return f"m-{next(self.keys)}"

    def _available(self, i: int) -> int:
        return self.posted[i] - self.held[i]

    @rule(i=wallet_index, amount=amounts)
    def fund(self, i: int, amount: int) -> None:
        journal_post(
            community=self.community,
            code="cash_in",
            idempotency_key=self._key(),
            legs=[Leg(self.cash_in.id, self.wallets[i].id, amount)],
        )
        self.posted[i] += amount

    @rule(src=wallet_index, dst=wallet_index, amount=amounts, fee=st.integers(0, 20))
    def purchase(self, src: int, dst: int, amount: int, fee: int) -> None:
        legs = [Leg(self.wallets[src].id, self.wallets[dst].id, amount)] if src != dst else []
        if fee:
            legs.append(Leg(self.wallets[src].id, self.revenue.id, fee))
        if not legs:
            return
        spend = sum(leg.amount for leg in legs)
        try:
            posted = journal_post(
                community=self.community, code="purchase", idempotency_key=self._key(), legs=legs
            )
        except errors.InsufficientFunds:
            assert spend > self._available(src)
            return
        assert spend <= self._available(src)
        self.posted[src] -= spend
        if src != dst:
            self.posted[dst] += amount
        self.revenue_balance += fee
        self.journals.append((posted.journal_id, src, dst if src != dst else None, amount, fee))

    @rule(i=wallet_index, amount=amounts)
    def hold(self, i: int, amount: int) -> None:
        try:
            held = hold_create(
                community=self.community,
                debit_account_id=self.wallets[i].id,
                credit_account_id=self.escrow.id,
                amount=amount,
                expires_at=None,
                code="hold",
                idempotency_key=self._key(),
            )
        except errors.InsufficientFunds:
            assert amount > self._available(i)
            return
        self.held[i] += amount
        self.holds.append((held.transfer_ids[0], i, amount))

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), void=st.booleans())
    def resolve_hold(self, data, void: bool) -> None:
        # Draw a position, not a random UUID order, so Hypothesis can replay the choice.
        hold_id, i, amount = self.holds.pop(data.draw(st.integers(0, len(self.holds) - 1)))
        self.held[i] -= amount
        if void:
            hold_void(community=self.community, hold_id=hold_id, idempotency_key=self._key())
            return
        part = data.draw(st.integers(1, amount))
        hold_post(
            community=self.community, hold_id=hold_id, amount=part, idempotency_key=self._key()
        )
        self.posted[i] -= part

    @precondition(lambda self: self.journals)
    @rule(data=st.data())
    def reverse(self, data) -> None:
        journal_id, src, dst, amount, fee = self.journals.pop(
            data.draw(st.integers(0, len(self.journals) - 1))
        )
        needs_from_dst = amount if dst is not None else 0
        try:
            journal_reverse(
                community=self.community, journal_id=journal_id, idempotency_key=self._key()
            )
        except errors.InsufficientFunds:
            assert dst is not None and needs_from_dst > self._available(dst)
            return
        self.posted[src] += amount * (dst is not None) + fee
        if dst is not None:
            self.posted[dst] -= amount
        self.revenue_balance -= fee

    @invariant()
    def balances_match_the_model(self) -> None:
        for wallet, posted, held in zip(self.wallets, self.posted, self.held, strict=True):
            wallet.refresh_from_db()
            assert wallet.credits_posted - wallet.debits_posted == posted
            assert wallet.debits_pending == held
            assert posted - held >= 0
        assert account_balance(account=self.revenue) == self.revenue_balance

    @invariant()
    def trial_balance_is_zero(self) -> None:
        accounts = Account.objects.filter(community=self.community)
        snapshot_net = (
            accounts.filter(is_hot=False).aggregate(
                net=Sum(F("credits_posted") - F("debits_posted"))
            )["net"]
            or 0
        )
        hot_net = sum(account_balance(account=a) for a in accounts.filter(is_hot=True))
        assert snapshot_net + hot_net == 0

    @invariant()
    def entries_chain_without_gaps(self) -> None:
        for wallet in self.wallets:
            entries = list(
                Entry.objects.filter(account=wallet)
                .order_by("account_version")
                .values_list("account_version", "delta", "balance_after")
            )
            running = 0
            for expected_version, (version, delta, balance_after) in enumerate(entries, 1):
                running += delta
                assert version == expected_version
                assert balance_after == running
            assert running == self.posted[self.wallets.index(wallet)]


def test_random_ledger_histories_keep_every_invariant() -> None:
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
