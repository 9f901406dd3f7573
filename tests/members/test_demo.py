"""`linli demo` loads demo memberships once; a second run changes nothing."""

from django.core.management import call_command

from linli.ledger.models import Journal
from linli.members.models import Charter, Member, Membership


def test_demo_memberships_are_idempotent(db):
    call_command("demo")
    first = (Membership.objects.count(), Journal.objects.count(), Charter.objects.count())
    call_command("demo")
    assert (Membership.objects.count(), Journal.objects.count(), Charter.objects.count()) == first
    paid = Membership.objects.get()
    assert paid.status == "active" and paid.member.user.get_username() == "li"
    assert Charter.objects.count() == 2  # one per demo community
    assert not Member.objects.filter(phone_hash__isnull=True).exists()
