"""Two operators approve the same diamond dividend proposal at the same moment (PostgreSQL,
real threads): the row lock lets one pay, the other finds it decided; the quarter is paid
once and the ledger stays balanced."""

import pytest

from linli.ledger.models import Journal
from linli.members.models import DiamondDividend, DiamondDividendProposal
from linli.members.services import diamond_dividend_approve, diamond_dividend_propose
from linli.members.services.diamond import ProposalDecided
from tests.members.test_diamond import _another_operator, _diamond, _revenue, _wallet
from tests.threads import run_threads

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.mark.parametrize("trial", range(3))
def test_two_approvals_at_once_pay_once(community, operator, trial):
    diamonds = [_diamond(community, operator) for _ in range(2)]
    _revenue(community, 10_000)
    proposal = diamond_dividend_propose(
        community=community, quarter="2026Q3", pool_fen=1_001, approval_ref="r", actor=operator
    )
    checkers = [_another_operator(community) for _ in range(2)]
    results = run_threads(
        [
            lambda c=c: diamond_dividend_approve(
                proposal=DiamondDividendProposal.objects.get(pk=proposal.pk), actor=c
            )
            for c in checkers
        ]
    )
    paid = [r for r in results if isinstance(r, DiamondDividend)]
    refused = [r for r in results if isinstance(r, ProposalDecided)]
    assert len(paid) == 1 and len(refused) == 1, results
    assert DiamondDividend.objects.filter(community=community).count() == 1
    assert Journal.objects.filter(community=community, code="member.diamond_dividend").count() == 1
    assert [_wallet(community, m) for m in diamonds] == [500, 500]
    proposal.refresh_from_db()
    assert proposal.status == "paid" and proposal.dividend_id == paid[0].id
