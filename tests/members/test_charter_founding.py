"""The public charter page (versions, my acceptance) and the founding-member page (places
left, who qualifies, how to apply; operators grant a place with a reason)."""

import pytest
from django.test import Client
from django.utils import timezone

from linli.communities.models import Role
from linli.members.models import Member
from linli.members.services import charter_publish, founding_grant
from tests.factories import make_community, make_role, make_user
from tests.members.conftest import join
from tests.members.test_fees import apply, verified


def test_the_charter_shows_my_acceptance_and_earlier_versions(community):
    member = verified(community)
    membership = apply(member)
    charter_publish(community=community, body="会员章程 v2：新条款。", actor=None)
    client = Client()
    client.force_login(member.user)
    page = client.get(f"/c/{community.slug}/charter/").content.decode()
    assert "第 2 版" in page and "新条款" in page
    assert 'data-testid="charter-consent"' in page
    accepted = timezone.localtime(membership.charter_accepted_at).strftime("%Y-%m-%d %H:%M")
    assert "同意了第 1 版" in page and accepted in page
    assert "这是现行版本" not in page  # accepted v1, v2 is in force now
    assert page.count('data-testid="charter-version-row"') == 2
    older = client.get(f"/c/{community.slug}/charter/?version=1").content.decode()
    assert "7天无理由全额退款" in older and 'data-testid="charter-older"' in older
    download = client.get(f"/c/{community.slug}/charter/?version=1&download=1")
    assert download["Content-Disposition"].endswith('v1.txt"')
    assert "7天无理由" in download.content.decode()


def test_the_charter_page_is_public_and_shows_no_acceptance_to_strangers(community):
    anonymous = Client().get(f"/c/{community.slug}/charter/").content.decode()
    assert 'data-testid="charter-consent"' not in anonymous
    elsewhere = join(make_community("B"))
    client = Client()
    client.force_login(elsewhere.user)
    page = client.get(f"/c/{community.slug}/charter/").content.decode()
    assert 'data-testid="charter-consent"' not in page


@pytest.mark.parametrize("version", ["9", "0", "-1", "abc", "9" * 40])
def test_unknown_charter_versions_are_not_found(community, version):
    assert Client().get(f"/c/{community.slug}/charter/?version={version}").status_code == 404


def test_founding_page_counts_places_and_explains(community):
    page = Client().get(f"/c/{community.slug}/founding/").content.decode()
    assert "共 20 个名额，还剩 20 个" in page  # preset A: 20 co-creation members (A§5)
    assert "首个会员年度免费" in page and "如何申请" in page
    assert 'data-testid="founding-grant"' not in page
    member = join(community)
    founding_grant(member=member, reason="楼长", actor=None)
    client = Client()
    client.force_login(member.user)
    page = client.get(f"/c/{community.slug}/founding/").content.decode()
    assert "还剩 19 个" in page and 'data-testid="founding-mine"' in page
    assert "楼长" not in page  # reasons are for the staff


def test_founding_page_without_a_cap(community_b):
    page = Client().get(f"/c/{community_b.slug}/founding/").content.decode()
    assert "名额不设上限" in page


def test_operators_grant_a_place_with_a_reason(community, operator):
    member = join(community)
    client = Client()
    client.force_login(operator)
    url = f"/c/{community.slug}/founding/"
    missing = client.post(url, {"member": member.id, "reason": ""})
    assert 'data-testid="error"' in missing.content.decode()
    done = client.post(url, {"member": member.id, "reason": "退休干部，组织读书会"}, follow=True)
    assert "已成为创始会员" in done.content.decode()
    assert "退休干部，组织读书会" in done.content.decode()
    member.refresh_from_db()
    assert member.is_founding and member.founding_reason == "退休干部，组织读书会"


@pytest.mark.parametrize("value", ["other-community", "x", "-5", "9" * 30])
def test_granting_refuses_unknown_members(community, operator, value):
    outsider = join(make_community("B"))
    client = Client()
    client.force_login(operator)
    member_id = outsider.id if value == "other-community" else value
    answer = client.post(
        f"/c/{community.slug}/founding/", {"member": member_id, "reason": "good neighbour"}
    )
    assert 'data-testid="error"' in answer.content.decode()
    assert not Member.objects.filter(is_founding=True).exists()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.AUDITOR, Role.MERCHANT_OWNER, None])
def test_only_operators_grant(community, role):
    member = join(community)
    user = make_user()
    if role is not None:
        make_role(user, community, role)
    client = Client()
    client.force_login(user)
    page = client.post(
        f"/c/{community.slug}/founding/", {"member": member.id, "reason": "self-service"}
    )
    assert page.status_code == 200 and 'data-testid="founding-grant"' not in page.content.decode()
    member.refresh_from_db()
    assert not member.is_founding


def test_the_api_lists_versions_and_places(community_b):
    charter_publish(community=community_b, body="v2", actor=None)
    base = f"/api/v1/members/communities/{community_b.slug}"
    client = Client()
    assert [c["version"] for c in client.get(f"{base}/charters").json()] == [2, 1]
    assert client.get(f"{base}/charters/1").json()["body"] == "会员章程 v1"
    assert client.get(f"{base}/charters/3").status_code == 404
    assert client.get(f"{base}/charters/0").status_code == 422
    places = client.get(f"{base}/founding").json()
    assert places == {"most": None, "taken": 0, "left": None, "first_year_free": True}
