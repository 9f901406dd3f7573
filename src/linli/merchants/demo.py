"""Demo hook for `linli demo`: admit the demo merchant `shop` in 阳光社区 (idempotent)."""

from django.contrib.auth import get_user_model

from linli.communities.models import Community
from linli.merchants.models import Industry, Merchant
from linli.merchants.services import application_submit, industries_ensure, merchant_admit

DEMO_COMMUNITY = "yangguang"
DEMO_OWNER = "shop"


def load_demo_merchants(*, community: Community) -> None:
    """Seed the taxonomy everywhere; in yangguang, `shop` applies for the supermarket seat
    and is admitted (fee and deposit posted through the ledger like a real admission)."""
    industries_ensure(community=community)
    if community.slug != DEMO_COMMUNITY:
        return
    owner = get_user_model().objects.filter(username=DEMO_OWNER).first()
    if owner is None or Merchant.objects.filter(community=community, owner=owner).exists():
        return
    application = application_submit(
        community=community,
        applicant=owner,
        industry=Industry.objects.get(community=community, code="supermarket"),
        business_name="陈记便利超市",
        licence_no="91310101MA1DEMO001",
        address="阳光路 1 号",
        lat=community.centre_lat,
        lng=community.centre_lng,
        contact_phone="13800000000",
        exclusivity_accepted=True,
    )
    merchant_admit(application=application, actor=None)
