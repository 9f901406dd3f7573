"""Inbox read state: opened notices are read, the shell shows the unread count, "mark all
read" clears it; nobody opens another member's notice."""

import pytest
from django.test import Client

from linli.errors import NotFound
from linli.members.models import Notice
from linli.members.notices import notice_send
from linli.members.selectors import unread_notices_count
from linli.members.services import notice_open, notices_mark_all_read
from tests.members.conftest import join


@pytest.fixture
def member(community):
    member = join(community)  # the welcome notice
    notice_send(member=member, kind="lapsed")
    return member


def test_opening_a_notice_reads_it_once(member):
    first = member.notices.order_by("id").first()
    assert unread_notices_count(member=member) == 2
    opened = notice_open(member=member, notice_id=first.id)
    read_at = opened.read_at
    assert read_at is not None and unread_notices_count(member=member) == 1
    assert notice_open(member=member, notice_id=first.id).read_at == read_at  # not moved


def test_nobody_opens_another_members_notice(community, member):
    other = join(community)
    theirs = other.notices.first()
    with pytest.raises(NotFound):
        notice_open(member=member, notice_id=theirs.id)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(community, member):
    other = join(community)
    assert notices_mark_all_read(member=member) == 2
    assert notices_mark_all_read(member=member) == 0
    assert unread_notices_count(member=member) == 0
    assert unread_notices_count(member=other) == 1  # only mine


def test_pages_badge_open_and_mark_all(member):
    client = Client()
    client.force_login(member.user)
    page = client.get("/me/inbox/").content.decode()
    assert 'data-testid="unread-badge"' in page and "2 条新通知" in page
    assert page.count('data-testid="notice-unread"') == 2
    notice = member.notices.order_by("id").first()
    opened = client.get(f"/me/inbox/{notice.id}/")
    assert opened.status_code == 200
    assert "1 条新通知" in opened.content.decode()
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert client.post("/me/inbox/", {"action": "read_all"}).status_code == 302
    page = client.get("/me/inbox/").content.decode()
    assert 'data-testid="unread-badge"' not in page and 'data-testid="notice-unread"' not in page


def test_the_notice_page_is_only_for_its_member(community, member):
    other = join(community)
    client = Client()
    client.force_login(other.user)
    notice = member.notices.first()
    assert client.get(f"/me/inbox/{notice.id}/").status_code == 404
    assert client.get("/me/inbox/99999999999/").status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_the_api_reads_one_or_all(community, member):
    other = join(community)
    client = Client()
    client.force_login(member.user)
    base = "/api/v1/members/me/notices"
    assert client.get(f"{base}/unread").json() == {"unread": 2}
    listed = client.get(base).json()
    assert all(row["read_at"] is None for row in listed)
    read = client.post(f"{base}/{listed[0]['id']}/read")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert client.get(f"{base}/unread").json() == {"unread": 1}
    theirs = other.notices.first()
    assert client.post(f"{base}/{theirs.id}/read").status_code == 404
    assert client.post(f"{base}/0/read").status_code == 422
    assert client.post(f"{base}/read-all").json() == {"unread": 0}
    assert Notice.objects.get(pk=theirs.pk).read_at is None


def test_people_without_a_membership_see_no_badge(community):
    from tests.factories import make_user

    client = Client()
    client.force_login(make_user())
    assert 'data-testid="unread-badge"' not in client.get("/").content.decode()
