"""The ledger API: happy paths, tenancy, bad input that must change nothing, idempotency."""

import uuid

import pytest

from linli.communities.models import AuditEntry
from linli.ledger.models import MAX_AMOUNT, AccountKind, Journal, Transfer
from linli.ledger.verify import all_passed, verify_bundle
from tests.ledger import api_fixtures
from tests.ledger.api_fixtures import World, call, ledger_state

pytestmark = pytest.mark.django_db
world = api_fixtures.world


def base(w: World) -> str:
    return f"communities/{w.community.slug}"


# --- reads --------------------------------------------------------------------------------


def test_member_lists_own_accounts_with_balances(world: World) -> None:
    response = call(world.owner, "get", f"{base(world)}/accounts")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [a["id"] for a in body["items"]] == [world.owner_wallet.id]
    account = body["items"][0]
    assert (account["posted"], account["available"], account["asset"]) == (8_500, 8_500, "CNY")


def test_member_may_not_list_all_but_auditor_may(world: World) -> None:
    denied = call(world.owner, "get", f"{base(world)}/accounts", scope="all")
    assert denied.status_code == 403
    assert denied.json()["code"] == "forbidden"
    allowed = call(world.auditor, "get", f"{base(world)}/accounts", scope="all", limit=5)
    assert allowed.status_code == 200
    body = allowed.json()
    assert len(body["items"]) == 5
    assert body["count"] > 5
    ids = {a["id"] for a in body["items"]}
    assert world.foreign_wallet.id not in ids


def test_statement_pages_by_version(world: World) -> None:
    path = f"{base(world)}/accounts/{world.owner_wallet.id}/statement"
    first = call(world.owner, "get", path, limit=1).json()
    assert [line["version"] for line in first["items"]] == [1]
    assert first["items"][0]["balance_after"] == 10_000
    assert first["next_after_version"] == 1
    second = call(world.owner, "get", path, limit=1, after_version=1).json()
    assert [(line["version"], line["delta"]) for line in second["items"]] == [(2, -1_500)]
    rest = call(world.owner, "get", path, after_version=2).json()
    assert rest["items"] == [] and rest["next_after_version"] is None


def test_hot_account_statement_pages_by_seq(world: World) -> None:
    from linli.ledger.services import Leg, journal_post
    from tests.ledger.conftest import new_key

    fund_account = world.chart[(AccountKind.COMMUNITY_FUND, "CNY")]
    for _ in range(3):
        journal_post(
            community=world.community,
            code="donation",
            idempotency_key=new_key(),
            legs=[Leg(world.owner_wallet.id, fund_account.id, 100)],
        )
    path = f"{base(world)}/accounts/{fund_account.id}/statement"
    page = call(world.operator, "get", path, limit=2).json()
    assert [line["delta"] for line in page["items"]] == [100, 100]
    assert page["account"]["posted"] == 300
    tail = call(world.operator, "get", path, after_seq=page["next_after_seq"]).json()
    assert len(tail["items"]) == 1


def test_journal_detail_and_proof_for_a_member_it_touches(world: World) -> None:
    path = f"{base(world)}/journals/{world.purchase.id}"
    detail = call(world.neighbour, "get", path)
    assert detail.status_code == 200
    legs = detail.json()["transfers"]
    assert [(t["debit_account_id"], t["amount"]) for t in legs] == [(world.owner_wallet.id, 1_500)]
    proof = call(world.owner, "get", f"{path}/proof")
    assert proof.status_code == 200
    assert proof.json()["seq"] == world.purchase.seq


def test_proof_of_a_journal_newer_than_the_checkpoint_is_409(world: World) -> None:
    from tests.ledger.api_fixtures import fund

    newer = fund(world.owner_wallet, 1)
    response = call(world.owner, "get", f"{base(world)}/journals/{newer.id}/proof")
    assert response.status_code == 409
    assert response.json()["code"] == "not_yet_checkpointed"


def test_evidence_bundle_verifies_offline(world: World) -> None:
    response = call(world.owner, "get", f"{base(world)}/evidence")
    assert response.status_code == 200
    bundle = response.json()
    assert [a["id"] for a in bundle["accounts"]] == [world.owner_wallet.id]
    assert all_passed(verify_bundle(bundle))


def test_public_endpoints_answer_anonymous_callers(world: World) -> None:
    checkpoints = call(None, "get", f"{base(world)}/checkpoints")
    assert checkpoints.status_code == 200
    assert checkpoints.json()["count"] == 1
    latest = call(None, "get", f"{base(world)}/checkpoints/latest").json()
    assert latest["tree_size"] == Journal.objects.filter(community=world.community).count()
    key = call(None, "get", f"{base(world)}/verifier-key").json()
    assert key["verifier_key"].startswith(key["origin"])
    size = latest["tree_size"]
    same = call(None, "get", f"{base(world)}/consistency", old_size=size, new_size=size)
    assert same.status_code == 200 and same.json()["proof"] == []
    bad = call(None, "get", f"{base(world)}/consistency", old_size=size + 1, new_size=size + 1)
    assert bad.status_code == 400 and bad.json()["code"] == "bad_tree_size"


def test_unknown_community_is_404_with_a_code(world: World) -> None:
    response = call(None, "get", "communities/nowhere/checkpoints")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "accounts",
        "accounts/1",
        "accounts/1/statement",
        "journals/7d2c1f9e-0a4b-4c8e-9f3a-2b6d8e1c5a70",
        "evidence",
    ],
)
def test_private_endpoints_need_a_login(world: World, path: str) -> None:
    response = call(None, "get", f"{base(world)}/{path}")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_other_members_and_other_communities_rows_are_not_found(world: World) -> None:
    own = world.owner
    cases = [
        f"{base(world)}/accounts/{world.neighbour_wallet.id}",
        f"{base(world)}/accounts/{world.neighbour_wallet.id}/statement",
        f"{base(world)}/accounts/{world.foreign_wallet.id}",
        f"{base(world)}/journals/{world.foreign_journal.id}",
        f"{base(world)}/journals/{world.foreign_journal.id}/proof",
    ]
    for path in cases:
        response = call(own, "get", path)
        assert response.status_code == 404, path
        assert response.json()["code"] in {"account_not_found", "journal_not_found"}
    # Even an operator sees nothing of another community through this one's path.
    response = call(world.operator, "get", f"{base(world)}/accounts/{world.foreign_wallet.id}")
    assert response.status_code == 404
    # And an operator of the other community has no role here.
    response = call(world.foreign_operator, "get", f"{base(world)}/accounts", scope="all")
    assert response.status_code == 403


# --- operator writes ----------------------------------------------------------------------


def manual(w: World, amount: object = 500, key: str = "adj-1", **extra: object) -> dict:
    cash_in = w.chart[(AccountKind.CASH_IN, "CNY")]
    body = {
        "code": "cash_in",
        "memo": "现金充值",
        "legs": [
            {
                "debit_account_id": cash_in.id,
                "credit_account_id": w.owner_wallet.id,
                "amount": amount,
            }
        ],
        "idempotency_key": key,
    }
    body.update(extra)
    return body


def test_operator_posts_a_manual_journal_with_replay_and_conflict(world: World) -> None:
    path = f"{base(world)}/journals"
    created = call(world.operator, "post", path, manual(world))
    assert created.status_code == 201, created.content
    result = created.json()
    assert result["replayed"] is False
    world.owner_wallet.refresh_from_db()
    assert world.owner_wallet.credits_posted - world.owner_wallet.debits_posted == 9_000
    entry = AuditEntry.objects.get(action="ledger.journal_post")
    assert entry.actor == world.operator.user and entry.target_id == result["journal_id"]

    before = ledger_state()
    replay = call(world.operator, "post", path, manual(world))
    assert replay.status_code == 200
    assert replay.json()["journal_id"] == result["journal_id"] and replay.json()["replayed"]
    conflict = call(world.operator, "post", path, manual(world, amount=501))
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"
    assert ledger_state() == before
    assert AuditEntry.objects.filter(action="ledger.journal_post").count() == 1


BAD_AMOUNTS = [0, -1, MAX_AMOUNT + 1, 10**30, 1.0, 2.5, "100", "1e3", True, None, [1], {"a": 1}]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_bad_amounts_are_422_and_change_nothing(world: World, amount: object) -> None:
    before = ledger_state()
    response = call(world.operator, "post", f"{base(world)}/journals", manual(world, amount))
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_input"
    assert ledger_state() == before


def _bad_bodies(w: World) -> list[tuple[str, object, int, str]]:
    cash_in = w.chart[(AccountKind.CASH_IN, "CNY")].id
    leg = {"debit_account_id": cash_in, "credit_account_id": w.owner_wallet.id, "amount": 1}
    return [
        ("not json", "{nope", 400, "http_400"),
        ("a list", [1, 2], 422, "invalid_input"),
        ("unknown code", manual(w, code="purchase"), 422, "invalid_input"),
        ("no key", {**manual(w), "idempotency_key": ""}, 422, "invalid_input"),
        ("long key", manual(w, key="k" * 101), 422, "invalid_input"),
        ("NUL in memo", manual(w, memo="a\x00b"), 422, "invalid_input"),
        ("long memo", manual(w, memo="长" * 201), 422, "invalid_input"),
        ("no legs", manual(w, legs=[]), 422, "invalid_input"),
        ("17 legs", manual(w, legs=[leg] * 17), 422, "invalid_input"),
        ("id zero", manual(w, legs=[{**leg, "debit_account_id": 0}]), 422, "invalid_input"),
        ("id huge", manual(w, legs=[{**leg, "debit_account_id": 2**64}]), 422, "invalid_input"),
        ("id string", manual(w, legs=[{**leg, "debit_account_id": "7"}]), 422, "invalid_input"),
        (
            "unknown id",
            manual(w, legs=[{**leg, "debit_account_id": 99_999_999}]),
            404,
            "account_not_found",
        ),
        (
            "foreign account",
            manual(w, legs=[{**leg, "debit_account_id": w.foreign_wallet.id}]),
            404,
            "account_not_found",
        ),
        (
            "same account",
            manual(w, legs=[{**leg, "debit_account_id": w.owner_wallet.id}]),
            400,
            "invalid_posting",
        ),
        (
            "cross asset",
            manual(w, legs=[{**leg, "debit_account_id": w.chart[(AccountKind.CASH_IN, "PTS")].id}]),
            400,
            "invalid_posting",
        ),
        (
            "overdraft",
            manual(
                w,
                legs=[
                    {
                        "debit_account_id": w.owner_wallet.id,
                        "credit_account_id": cash_in,
                        "amount": 10**9,
                    }
                ],
            ),
            409,
            "insufficient_funds",
        ),
    ]


def test_bad_bodies_are_4xx_with_a_code_and_change_nothing(world: World) -> None:
    for name, body, status, code in _bad_bodies(world):
        before = ledger_state()
        response = call(world.operator, "post", f"{base(world)}/journals", body)
        assert (response.status_code, response.json()["code"]) == (status, code), name
        assert ledger_state() == before, name


def test_members_cannot_post_manual_journals(world: World) -> None:
    before = ledger_state()
    for caller in (world.owner, world.auditor, world.cashier, world.foreign_operator):
        response = call(caller, "post", f"{base(world)}/journals", manual(world))
        assert response.status_code == 403
    assert call(None, "post", f"{base(world)}/journals", manual(world)).status_code == 401
    assert ledger_state() == before


def test_reverse_via_api(world: World) -> None:
    path = f"{base(world)}/journals/{world.purchase.id}/reverse"
    body = {"idempotency_key": "rev-1", "memo": "退款"}
    response = call(world.operator, "post", path, body)
    assert response.status_code == 201, response.content
    world.owner_wallet.refresh_from_db()
    assert world.owner_wallet.credits_posted - world.owner_wallet.debits_posted == 10_000
    again = call(world.operator, "post", path, {"idempotency_key": "rev-2"})
    assert again.status_code == 409 and again.json()["code"] == "already_reversed"
    foreign = f"{base(world)}/journals/{world.foreign_journal.id}/reverse"
    before = ledger_state()
    assert call(world.operator, "post", foreign, {"idempotency_key": "rev-3"}).status_code == 404
    assert ledger_state() == before


def test_hold_lifecycle_via_api(world: World) -> None:
    escrow = world.chart[(AccountKind.DEPOSIT_ESCROW, "CNY")]
    hold_body = {
        "debit_account_id": world.owner_wallet.id,
        "credit_account_id": escrow.id,
        "amount": 3_000,
        "idempotency_key": "hold-1",
    }
    created = call(world.operator, "post", f"{base(world)}/holds", hold_body)
    assert created.status_code == 201, created.content
    hold_id = created.json()["hold_id"]
    mine = call(world.owner, "get", f"{base(world)}/accounts/{world.owner_wallet.id}").json()
    assert (mine["posted"], mine["available"]) == (8_500, 5_500)

    before = ledger_state()
    too_much = call(
        world.operator,
        "post",
        f"{base(world)}/holds/{hold_id}/post",
        {"amount": 3_001, "idempotency_key": "hold-1-post-x"},
    )
    assert too_much.status_code == 400 and too_much.json()["code"] == "hold_amount_exceeded"
    unknown = call(
        world.operator, "post", f"{base(world)}/holds/{uuid.uuid4()}/void", {"idempotency_key": "v"}
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "hold_not_found"
    assert ledger_state() == before

    posted = call(
        world.operator,
        "post",
        f"{base(world)}/holds/{hold_id}/post",
        {"amount": 1_000, "idempotency_key": "hold-1-post"},
    )
    assert posted.status_code == 201
    mine = call(world.owner, "get", f"{base(world)}/accounts/{world.owner_wallet.id}").json()
    assert (mine["posted"], mine["available"], mine["pending"]) == (7_500, 7_500, 0)
    voided = call(
        world.operator, "post", f"{base(world)}/holds/{hold_id}/void", {"idempotency_key": "v2"}
    )
    assert voided.status_code == 409 and voided.json()["code"] == "hold_already_resolved"
    assert Transfer.objects.filter(pending_id=hold_id).count() == 1
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"ledger.hold_create", "ledger.hold_post"} <= actions
