"""The back office shows membership read-only and never decrypts personal data."""

import pytest

from linli.members import pii
from linli.members.models import Member
from tests.members.test_fees import apply, verified

MODELS = [
    "member",
    "household",
    "consent",
    "charter",
    "membership",
    "feepayment",
    "feerefund",
    "feerecognition",
    "entitlement",
    "referral",
    "notice",
    "tierchange",
    "interestgroup",
    "groupmembership",
    "giftpack",
    "admissionapplication",
]


@pytest.mark.parametrize("model", MODELS)
def test_every_member_model_is_read_only(admin_client, community, model):
    apply(verified(community))
    base = f"/admin/members/{model}/"
    assert admin_client.get(base).status_code == 200
    assert admin_client.get(f"{base}add/").status_code == 403


def test_personal_data_stays_masked_and_encrypted(admin_client, community):
    member = verified(community)
    apply(member)
    phone = pii.decrypt(member.phone_cipher)
    number = pii.decrypt(member.id_number_cipher)
    listing = admin_client.get("/admin/members/member/").content.decode()
    detail = admin_client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    for page in (listing, detail):
        assert phone not in page and number not in page and "张三" not in page
        assert member.phone_cipher not in page and member.phone_hash not in page
        assert member.id_hash not in page
        assert f"*******{phone[-4:]}" in page
    assert 'name="_save"' not in detail
    assert admin_client.post(f"/admin/members/member/{member.pk}/change/", {}).status_code == 403
    delete = admin_client.post(f"/admin/members/member/{member.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert Member.objects.filter(pk=member.pk).exists()


def test_staff_without_admin_rights_see_nothing(client, community):
    from tests.factories import make_user

    client.force_login(make_user(is_staff=True))
    assert client.get("/admin/members/member/").status_code == 403
