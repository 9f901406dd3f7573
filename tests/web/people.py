"""People for the shell's web and browser tests, built with the shared `tests.factories`."""

from datetime import date

from linli.communities.models import Community
from linli.members.models import Member
from tests.factories import make_community, make_member, make_user

PASSWORD = "correct horse battery staple"
COMMUNITY_SLUG = "shell-test"
COMMUNITY_NAME = "幸福里社区"


def shell_community() -> Community:
    """The one community these tests share (created on first use within a test)."""
    found = Community.objects.filter(slug=COMMUNITY_SLUG).first()
    return found or make_community(slug=COMMUNITY_SLUG, name=COMMUNITY_NAME)


def years_ago(*, years: int, today: date, days_later: int = 0) -> date:
    """The date `years` before `today` (29 Feb falls back to 28 Feb), plus `days_later`."""
    try:
        born = today.replace(year=today.year - years)
    except ValueError:
        born = today.replace(year=today.year - years, day=28)
    return born.fromordinal(born.toordinal() + days_later)


def person_create(
    *,
    username: str,
    birth_date: date | None = None,
    prefers_elderly_mode: bool | None = None,
    is_member: bool = True,
    is_staff: bool = False,
    display_name: str = "王阿姨",
):
    """A user who can log in with PASSWORD; a member of the shell community unless told not."""
    if not is_member:
        return make_user(username, password=PASSWORD, is_staff=is_staff)
    member = make_member(
        shell_community(),
        username,
        birth_date,
        password=PASSWORD,
        display_name=display_name,
    )
    if prefers_elderly_mode is not None or is_staff:
        Member.objects.filter(pk=member.pk).update(prefers_elderly_mode=prefers_elderly_mode)
        type(member.user).objects.filter(pk=member.user.pk).update(is_staff=is_staff)
    return member.user
