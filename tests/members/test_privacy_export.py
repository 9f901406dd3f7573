"""PIPL export: the member's founding applications and the diamond dividends paid to them
are in their export; nobody else's ever is."""

import json

from django.test import Client

from linli.members.services import founding_apply, founding_decide, member_export
from tests.members.test_diamond import _diamond, _revenue, diamond_dividends_post
from tests.members.test_fees import verified


def _export_text(member) -> str:
    return json.dumps(member_export(member=member), ensure_ascii=False)


def test_the_export_lists_founding_applications_with_their_outcome(community, operator):
    member = verified(community)
    first = founding_apply(
        member=member, motivation="想帮邻居", contribution="修自行车", consents=True
    )
    founding_decide(application=first, approve=False, reason="名额留给楼长", actor=operator)
    founding_apply(member=member, motivation="再试一次", contribution="", consents=True)
    other = verified(community)
    founding_apply(member=other, motivation="别人的理由", contribution="别人的贡献", consents=True)

    applications = member_export(member=member)["founding_applications"]

    assert [a["status"] for a in applications] == ["rejected", "pending"]
    rejected, waiting = applications
    assert rejected["motivation"] == "想帮邻居" and rejected["contribution"] == "修自行车"
    assert rejected["decision_reason"] == "名额留给楼长"
    assert rejected["applied_at"] and rejected["decided_at"]
    assert waiting["motivation"] == "再试一次" and waiting["decided_at"] is None
    text = _export_text(member)
    assert "别人的理由" not in text and "别人的贡献" not in text
    assert member_export(member=other)["founding_applications"][0]["motivation"] == "别人的理由"
    assert "名额留给楼长" not in _export_text(other)


def test_the_export_lists_the_member_s_dividends_only(community, community_b, operator):
    first, second = _diamond(community, operator), _diamond(community, operator)
    _revenue(community, 100_000)
    diamond_dividends_post(
        community=community, quarter="2026Q2", pool_fen=1_001, approval_ref="决议 7", actor=None
    )
    diamond_dividends_post(
        community=community, quarter="2026Q3", pool_fen=3_000, approval_ref="决议 9", actor=None
    )
    silver = verified(community)

    received = member_export(member=first)["diamond_dividends_received"]

    assert [(d["quarter"], d["amount_fen"]) for d in received] == [
        ("2026Q2", 500),
        ("2026Q3", 1_500),
    ]
    assert received[0]["approval_ref"] == "决议 7" and received[0]["paid_at"]
    assert len(member_export(member=second)["diamond_dividends_received"]) == 2
    assert member_export(member=silver)["diamond_dividends_received"] == []
    stranger = verified(community_b)
    assert member_export(member=stranger)["diamond_dividends_received"] == []


def test_the_api_export_is_the_caller_s_own(community, operator):
    member = verified(community)
    founding_apply(member=member, motivation="我的理由", contribution="", consents=True)
    other = verified(community)
    founding_apply(member=other, motivation="邻居的理由", contribution="", consents=True)
    client = Client()
    client.force_login(member.user)

    response = client.get("/api/v1/members/me/export")

    assert response.status_code == 200
    body = response.json()
    assert [a["motivation"] for a in body["founding_applications"]] == ["我的理由"]
    assert "邻居的理由" not in response.content.decode()
    assert body["diamond_dividends_received"] == []
