"""The operators' diamond dividend page: preview, propose, approve or reject by a different
operator; refusals inline in the reader's language; nobody else sees the page."""

import pytest
from django.test import Client

from linli.communities.models import Role
from linli.members.models import DiamondDividend, DiamondDividendProposal
from tests.factories import make_community, make_role, make_user
from tests.members.test_diamond import _another_operator, _diamond, _revenue, _wallet


def _page(community) -> str:
    return f"/c/{community.slug}/ops/dividends/"


def _client(user, language="zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def _propose(client, community, pool="100.01", quarter="2026Q3", action="propose"):
    return client.post(
        _page(community),
        {"action": action, "quarter": quarter, "pool": pool, "approval_ref": "会议纪要 12"},
    )


@pytest.fixture
def diamonds(community, operator):
    members = [_diamond(community, operator) for _ in range(2)]
    _revenue(community, 100_000)
    return members


def test_preview_propose_and_a_second_operator_pays(community, operator, diamonds):
    maker = _client(operator)
    preview = _propose(maker, community, action="preview")
    assert preview.status_code == 200
    text = preview.content.decode()
    assert 'data-testid="dividend-preview"' in text and "50.00" in text and "0.01" in text
    assert not DiamondDividendProposal.objects.exists()

    assert _propose(maker, community).status_code == 302
    proposal = DiamondDividendProposal.objects.get()
    assert proposal.shares == [[diamonds[0].id, 5_000], [diamonds[1].id, 5_000]]
    assert proposal.residue_fen == 1 and proposal.proposed_by == operator

    checker = _client(_another_operator(community))
    assert (
        checker.post(_page(community), {"action": "approve", "proposal": proposal.id}).status_code
        == 302
    )
    proposal.refresh_from_db()
    assert proposal.status == "paid" and DiamondDividend.objects.get().quarter == "2026Q3"
    assert [_wallet(community, m) for m in diamonds] == [5_000, 5_000]
    listing = checker.get(_page(community)).content.decode()
    assert 'data-status="paid"' in listing and "2026Q3" in listing


@pytest.mark.parametrize(
    ("language", "words"), [("zh-hans", "必须由另一位运营人员批准"), ("en", "A different operator")]
)
def test_the_proposer_cannot_approve_and_is_told_inline(
    community, operator, diamonds, language, words
):
    maker = _client(operator, language)
    _propose(maker, community)
    proposal = DiamondDividendProposal.objects.get()
    refused = maker.post(_page(community), {"action": "approve", "proposal": proposal.id})
    assert refused.status_code == 200
    text = refused.content.decode()
    assert 'data-code="dividend_needs_two_people"' in text
    assert words in text
    proposal.refresh_from_db()
    assert proposal.status == "proposed" and not DiamondDividend.objects.exists()


def test_a_stale_proposal_is_refused_inline(community, operator, diamonds):
    _propose(_client(operator), community)
    proposal = DiamondDividendProposal.objects.get()
    _revenue(community, 7)
    refused = _client(_another_operator(community), "en").post(
        _page(community), {"action": "approve", "proposal": proposal.id}
    )
    assert 'data-code="dividend_proposal_stale"' in refused.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == "stale" and not DiamondDividend.objects.exists()


def test_reject_needs_a_reason(community, operator, diamonds):
    _propose(_client(operator), community)
    proposal = DiamondDividendProposal.objects.get()
    checker = _client(_another_operator(community))
    refused = checker.post(
        _page(community), {"action": "reject", "proposal": proposal.id, "reason": "  "}
    )
    assert 'data-code="invalid_dividend"' in refused.content.decode()
    assert (
        checker.post(
            _page(community), {"action": "reject", "proposal": proposal.id, "reason": "数字有误"}
        ).status_code
        == 302
    )
    proposal.refresh_from_db()
    assert proposal.status == "rejected" and proposal.reason == "数字有误"
    assert not DiamondDividend.objects.exists()


@pytest.mark.parametrize(
    "pool", ["", "abc", "-1", "0", "1.001", "1e30", "NaN", "Infinity", "100000000000.01"]
)
def test_bad_pools_change_nothing(community, operator, diamonds, pool):
    for action in ("preview", "propose"):
        answer = _propose(_client(operator), community, pool=pool, action=action)
        assert answer.status_code == 200
        assert 'data-code="invalid_dividend"' in answer.content.decode()
    assert not DiamondDividendProposal.objects.exists()


@pytest.mark.parametrize("quarter", ["", "2026Q5", "Q3", "2026-3", "x" * 300])
def test_bad_quarters_change_nothing(community, operator, diamonds, quarter):
    answer = _propose(_client(operator), community, quarter=quarter)
    assert 'data-code="invalid_dividend"' in answer.content.decode()
    assert not DiamondDividendProposal.objects.exists()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.AUDITOR, Role.MERCHANT_OWNER, Role.CASHIER])
def test_only_operators_see_the_page(community, operator, diamonds, role):
    _propose(_client(operator), community)
    proposal = DiamondDividendProposal.objects.get()
    user = make_user()
    make_role(user, community, role)
    client = _client(user)
    assert client.get(_page(community)).status_code == 404
    assert (
        client.post(_page(community), {"action": "approve", "proposal": proposal.id}).status_code
        == 404
    )
    assert DiamondDividendProposal.objects.get().status == "proposed"


def test_another_communitys_proposal_is_not_found(community, operator, diamonds):
    _propose(_client(operator), community)
    proposal = DiamondDividendProposal.objects.get()
    elsewhere = make_community("A")
    stranger = make_user()
    make_role(stranger, elsewhere, Role.OPERATOR)
    client = _client(stranger)
    assert client.get(_page(elsewhere)).status_code == 200
    for proposal_id in (proposal.id, "abc", "-1", "99999999999999999999"):
        answer = client.post(_page(elsewhere), {"action": "approve", "proposal": proposal_id})
        assert answer.status_code == 404
    assert client.get(_page(community)).status_code == 404
    assert DiamondDividendProposal.objects.get().status == "proposed"


def test_the_desk_links_the_page_for_operators(community, operator):
    text = _client(operator).get(f"/c/{community.slug}/ops/members/").content.decode()
    assert f'href="{_page(community)}"' in text


@pytest.mark.parametrize("action", ["preview", "propose"])
def test_the_preview_meets_the_same_refusals_as_a_proposal(community, operator, diamonds, action):
    maker = _client(operator)
    over = _propose(maker, community, pool="1000.01", action=action)
    assert 'data-code="pool_over_revenue"' in over.content.decode()
    assert 'data-testid="dividend-preview"' not in over.content.decode()
    _propose(maker, community, pool="10")
    _client(_another_operator(community)).post(
        _page(community),
        {"action": "approve", "proposal": DiamondDividendProposal.objects.get().id},
    )
    paid = _propose(maker, community, pool="10", action=action)
    assert 'data-code="diamond_dividend_paid"' in paid.content.decode()
    assert DiamondDividendProposal.objects.count() == 1
