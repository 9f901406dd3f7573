"""The merchant's back office and the committee's anomalies: sales list (search, filters,
paging, masked members), 核销 log, anomaly findings with thresholds as data, and who may
read which — as a table."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.commerce import reports
from linli.commerce.services import sale_consume, sale_refund, sale_undo
from linli.communities.models import Role
from linli.errors import Forbidden
from linli.merchants.selectors import chair_for_month
from linli.merchants.services import staff_add
from tests.commerce.conftest import CASHIER_PASSWORD, code_of
from tests.factories import make_community, make_member, make_merchant, make_role, make_user

NO_LIMITS = {"member_sales": 0, "merchant_sales": 0, "member_day_max_fen": 0}


@pytest.fixture(autouse=True)
def _no_till_limits(settings):
    settings.LINLI_SALE_LIMITS = NO_LIMITS


class Clock:
    """Each sale at the next 30-second step (a member code is single use), from tomorrow
    10:00 local: after the policy took effect, and no run of sales crosses midnight."""

    def __init__(self) -> None:
        tomorrow = timezone.localtime() + timedelta(days=1)
        self.at = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)

    def tick(self, seconds: int = 30):
        self.at += timedelta(seconds=seconds)
        return self.at


def _sell(merchant, clerk, buyer, request_no, at, amount_fen=1_000, source="pos"):
    return sale_consume(
        merchant=merchant,
        clerk=clerk,
        request_no=request_no,
        code=code_of(buyer, at),
        now=at,
        amount_fen=amount_fen,
        source=source,
    )[0]


@pytest.fixture
def alliance(db):
    """Three shops (one of them the chair of the month), M's second cashier, a buyer."""
    community = make_community("A")
    merchants = [make_merchant(community, code) for code in ("fruit", "barber", "pharmacy")]
    chair = chair_for_month(community=community)
    mine, other = [m for m in merchants if m.id != chair.id]
    cashier = staff_add(
        merchant=mine, username="till-m", password=CASHIER_PASSWORD, actor=mine.owner
    ).user
    second = staff_add(
        merchant=mine, username="till-n", password=CASHIER_PASSWORD, actor=mine.owner
    ).user
    operator, auditor = make_user(), make_user()
    make_role(operator, community, Role.OPERATOR)
    make_role(auditor, community, Role.AUDITOR)
    buyer = make_member(community, display_name="王小明")
    return {
        "community": community,
        "mine": mine,
        "other": other,
        "chair": chair,
        "cashier": cashier,
        "second": second,
        "operator": operator,
        "auditor": auditor,
        "buyer": buyer,
    }


# --- who may read what ------------------------------------------------------------------

COLUMNS = ("owner", "cashier", "other_merchant", "chair", "operator", "member", "auditor")
# action on shop M: (owner, cashier, other merchant, chair, operator, member, auditor)
TABLE = {
    "sale.view_shop":  (True,  True,  False, False, False, False, False),
    "sale.settlement": (True,  False, False, False, False, False, False),
    "sale.log":        (True,  False, False, False, False, False, False),
    "sale.anomalies":  (False, False, False, True,  True,  False, True),
}  # fmt: skip


def _may(alliance, user, action) -> bool:
    community = alliance["community"]
    try:
        if action == "sale.anomalies":
            reports.anomalies_reader(user=user, community=community)
            return True
        merchant, _role = reports.shop_reader(user=user, community=community, action=action)
    except Forbidden:
        return False
    return merchant.id == alliance["mine"].id


def _users(alliance):
    return {
        "owner": alliance["mine"].owner,
        "cashier": alliance["cashier"],
        "other_merchant": alliance["other"].owner,
        "chair": alliance["chair"].owner,
        "operator": alliance["operator"],
        "member": alliance["buyer"].user,
        "auditor": alliance["auditor"],
    }


def test_every_sale_read_is_in_the_table():
    from linli.communities.permissions import PERMISSIONS

    assert set(TABLE) == {a for a in PERMISSIONS if a.startswith("sale.")} - {"sale.record"}


@pytest.mark.parametrize("action", sorted(TABLE))
def test_who_may_read_what(alliance, action):
    users = _users(alliance)
    assert tuple(_may(alliance, users[c], action) for c in COLUMNS) == TABLE[action]


def test_nobody_reads_another_communitys_sales(alliance):
    elsewhere = make_community("A")
    for user in _users(alliance).values():
        for action in TABLE:
            with pytest.raises(Forbidden):
                if action == "sale.anomalies":
                    reports.anomalies_reader(user=user, community=elsewhere)
                else:
                    reports.shop_reader(user=user, community=elsewhere, action=action)


# --- the sales list ---------------------------------------------------------------------


def _busy_shop(alliance):
    """21 sales at M by two cashiers, one undone, one partly refunded, two from a phone."""
    clock, mine, buyer = Clock(), alliance["mine"], alliance["buyer"]
    sales = []
    for n in range(21):
        clerk = alliance["second"] if n % 7 == 0 else alliance["cashier"]
        source = "mobile" if n in (3, 4) else "pos"
        sales.append(_sell(mine, clerk, buyer, f"R{n:03d}", clock.tick(), 1_000 + n, source))
    sale_undo(sale=sales[1], actor=alliance["cashier"], now=clock.tick())
    sale_refund(sale=sales[2], actor=mine.owner, request_no="rf", amount_fen=500, now=clock.at)
    return sales, clock


def _page(alliance, user=None, role="owner", page=1, **filters):
    return reports.sales_list(
        merchant=alliance["mine"],
        role=role,
        user=user or alliance["mine"].owner,
        filters=reports.SaleFilter(**filters),
        page=page,
    )


def test_sales_list_pages_searches_and_filters(alliance):
    sales, _clock = _busy_shop(alliance)
    first = _page(alliance)
    assert first.paginator.count == 21 and len(first.object_list) == reports.PAGE_SIZE
    assert first.object_list[0].id == sales[-1].id  # newest first
    assert len(_page(alliance, page=2).object_list) == 1
    assert len(_page(alliance, page="junk").object_list) == reports.PAGE_SIZE
    assert [s.request_no for s in _page(alliance, query="r005").object_list] == ["R005"]
    assert _page(alliance, query="till-n").paginator.count == 3  # sales 0, 7, 14
    assert _page(alliance, query="王**").paginator.count == 21
    assert _page(alliance, query="李**").paginator.count == 0
    assert _page(alliance, query="小明").paginator.count == 0  # no search by the real name
    assert [s.request_no for s in _page(alliance, status="undone").object_list] == ["R001"]
    assert _page(alliance, status="partly_refunded").paginator.count == 1
    assert _page(alliance, source="mobile").paginator.count == 2
    assert _page(alliance, status="nonsense").paginator.count == 21
    today = timezone.localdate(sales[0].created_at)
    later = timezone.localdate(sales[-1].created_at)
    assert _page(alliance, date_from=today, date_to=later).paginator.count == 21
    assert _page(alliance, date_from=later + timedelta(days=1)).paginator.count == 0
    assert _page(alliance, query="'; DROP TABLE sale; --" * 5).paginator.count == 0


def test_a_cashier_sees_only_the_sales_they_recorded(alliance):
    _busy_shop(alliance)
    mine = _page(alliance, user=alliance["second"], role="cashier")
    assert mine.paginator.count == 3
    assert {s.clerk_id for s in mine.object_list} == {alliance["second"].id}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_sales_api_and_page_show_a_masked_member_and_link_receipts(alliance):
    sales, _clock = _busy_shop(alliance)
    slug = alliance["community"].slug
    owner = _client(alliance["mine"].owner)
    answer = owner.get(f"/api/v1/commerce/communities/{slug}/shop/sales", {"q": "R01", "page": 1})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["count"] == 10 and body["pages"] == 1
    row = body["sales"][0]
    assert row["member"] == "王**" and "小明" not in answer.content.decode()
    assert owner.get(row["receipt_url"]).status_code == 200
    bad = owner.get(f"/api/v1/commerce/communities/{slug}/shop/sales", {"status": "nope"})
    assert bad.status_code in (400, 422)
    huge = owner.get(f"/api/v1/commerce/communities/{slug}/shop/sales", {"page": 10**12})
    assert huge.status_code in (400, 422)

    page = owner.get(f"/c/{slug}/shop/sales/", {"source": "mobile"})
    text = page.content.decode()
    assert page.status_code == 200 and "王**" in text and "小明" not in text
    assert text.count('data-testid="sale-row"') == 2
    assert f"/c/{slug}/receipts/{sales[3].id}/" in text
    assert owner.get(f"/c/{slug}/shop/sales/", {"from": "not-a-date"}).status_code == 200

    assert _client(alliance["buyer"].user).get(f"/c/{slug}/shop/sales/").status_code == 403
    other = _client(alliance["other"].owner)
    foreign = other.get(f"/api/v1/commerce/communities/{slug}/shop/sales").json()
    assert foreign["count"] == 0  # the other owner reads their own, empty shop


# --- the 核销 log -------------------------------------------------------------------------


def test_the_log_lists_every_consume_undo_and_refund(alliance):
    sales, _clock = _busy_shop(alliance)
    day = timezone.localdate(sales[0].created_at)
    page = reports.consume_log(
        merchant=alliance["mine"], date_from=day - timedelta(days=1), date_to=day + timedelta(1)
    )
    kinds = [event.kind for event in page.object_list]
    assert kinds.count("consume") == 21 and kinds.count("undo") == 1
    assert kinds.count("refund") == 1
    undo = next(e for e in page.object_list if e.kind == "undo")
    assert (undo.request_no, undo.clerk, undo.source) == ("R001", "till-m", "pos")
    slug = alliance["community"].slug
    owner = _client(alliance["mine"].owner)
    api = owner.get(
        f"/api/v1/commerce/communities/{slug}/shop/log",
        {"date_from": day.isoformat(), "date_to": day.isoformat()},
    )
    assert api.status_code == 200 and len(api.json()["events"]) == 23
    assert owner.get(f"/c/{slug}/shop/log/").status_code == 200
    assert _client(alliance["cashier"]).get(f"/c/{slug}/shop/log/").status_code == 403


# --- anomalies ---------------------------------------------------------------------------


def test_anomalies_find_undo_happy_clerks_and_store_hopping(alliance, settings):
    clock, mine, buyer = Clock(), alliance["mine"], alliance["buyer"]
    for n in range(3):
        sale = _sell(mine, alliance["cashier"], buyer, f"u{n}", clock.tick(600))
        sale_undo(sale=sale, actor=alliance["cashier"], now=clock.at)
    shops = [mine, alliance["other"], alliance["chair"]]
    hopper = make_member(alliance["community"], display_name="李四")
    start = clock.tick(600)
    for i, shop in enumerate(shops):  # three shops within 4 minutes
        _sell(shop, shop.owner, hopper, f"h{i}", start + timedelta(minutes=2 * i))
    stroller = make_member(alliance["community"], display_name="赵六")
    start = clock.tick(600)
    for i, shop in enumerate(shops):  # three shops over 20 minutes: not a finding
        _sell(shop, shop.owner, stroller, f"s{i}", start + timedelta(minutes=10 * i))

    clerks, hopping, thresholds = reports.anomalies(
        community=alliance["community"], now=clock.tick(3600)
    )
    assert thresholds == reports.DEFAULT_ANOMALIES
    assert [(c.clerk, c.undos, c.sales) for c in clerks] == [("till-m", 3, 3)]
    assert [(h.member, len(h.stores)) for h in hopping] == [("李**", 3)]

    settings.LINLI_SALE_ANOMALIES = {"clerk_undos": 4, "store_minutes": 30}
    clerks, hopping, thresholds = reports.anomalies(community=alliance["community"], now=clock.at)
    assert clerks == [] and {h.member for h in hopping} == {"李**", "赵**"}

    slug = alliance["community"].slug
    operator = _client(alliance["operator"])
    api = operator.get(f"/api/v1/commerce/communities/{slug}/anomalies")
    assert api.status_code == 200 and api.json()["thresholds"]["store_minutes"] == 30
    page = operator.get(f"/c/{slug}/sales/anomalies/")
    assert page.status_code == 200 and "李**" in page.content.decode()
    assert "李四" not in page.content.decode()
    hopper_no = f"{hopper.id} (李**)"
    assert hopper_no in page.content.decode()
    api_row = next(r for r in api.json()["store_hopping"] if r["member"] == "李**")
    assert api_row["member_id"] == hopper.id
    # The chair is a merchant: masked names only, never a member number.
    chair = _client(alliance["chair"].owner)
    chair_page = chair.get(f"/c/{slug}/sales/anomalies/")
    assert chair_page.status_code == 200 and "李**" in chair_page.content.decode()
    assert hopper_no not in chair_page.content.decode()
    chair_api = chair.get(f"/api/v1/commerce/communities/{slug}/anomalies").json()
    assert {r["member_id"] for r in chair_api["store_hopping"]} == {None}
    assert _client(alliance["mine"].owner).get(f"/c/{slug}/sales/anomalies/").status_code == 403
