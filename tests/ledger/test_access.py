"""Who may do what with the ledger, as one table (STYLE.md: permissions tested as tables).

Rows: callers; columns: actions against the owner's wallet and a journal only it touches.
A cell is the HTTP status the API must answer. 404 (not 403) for another member's rows:
the API never confirms that someone else's account exists.
"""

from collections.abc import Callable
from typing import Any

import pytest

from linli.ledger.models import AccountKind
from tests.ledger import api_fixtures
from tests.ledger.api_fixtures import Caller, World, call, ledger_state

pytestmark = pytest.mark.django_db
world = api_fixtures.world

ROLES = (
    "anonymous",
    "owner",
    "other_member",
    "merchant_owner",
    "cashier",
    "operator",
    "auditor",
    "foreign_operator",
)

# action → expected status per role, in ROLES order.
MATRIX: dict[str, tuple[int, ...]] = {
    #                 anon owner other merch cash  oper  audit foreign
    "view_own":      (401, 200,  200,  200,  200,  200,  200,  403),
    "view_account":  (401, 200,  404,  404,  404,  200,  200,  403),
    "statement":     (401, 200,  404,  404,  404,  200,  200,  403),
    "journal":       (401, 200,  404,  404,  404,  200,  200,  403),
    "proof":         (401, 200,  404,  404,  404,  200,  200,  403),
    "evidence":      (401, 200,  200,  200,  200,  200,  200,  403),
    "manual_post":   (401, 403,  403,  403,  403,  201,  403,  403),
    "reverse":       (401, 403,  403,  403,  403,  201,  403,  403),
    "hold":          (401, 403,  403,  403,  403,  201,  403,  403),
}  # fmt: skip


def _caller(w: World, role: str) -> Caller | None:
    return {
        "anonymous": None,
        "owner": w.owner,
        "other_member": w.neighbour,
        "merchant_owner": w.merchant_owner,
        "cashier": w.cashier,
        "operator": w.operator,
        "auditor": w.auditor,
        "foreign_operator": w.foreign_operator,
    }[role]


def _action(w: World, action: str, key: str) -> Callable[[Caller | None], Any]:
    base = f"communities/{w.community.slug}"
    wallet, journal = w.owner_wallet.id, w.funding.id
    cash_in = w.chart[(AccountKind.CASH_IN, "CNY")].id
    escrow = w.chart[(AccountKind.DEPOSIT_ESCROW, "CNY")].id
    leg = {"debit_account_id": cash_in, "credit_account_id": wallet, "amount": 100}
    requests: dict[str, tuple[str, str, Any]] = {
        "view_own": ("get", f"{base}/accounts", None),
        "view_account": ("get", f"{base}/accounts/{wallet}", None),
        "statement": ("get", f"{base}/accounts/{wallet}/statement", None),
        "journal": ("get", f"{base}/journals/{journal}", None),
        "proof": ("get", f"{base}/journals/{journal}/proof", None),
        "evidence": ("get", f"{base}/evidence", None),
        "manual_post": (
            "post",
            f"{base}/journals",
            {"code": "adjustment", "legs": [leg], "idempotency_key": key},
        ),
        "reverse": ("post", f"{base}/journals/{w.purchase.id}/reverse", {"idempotency_key": key}),
        "hold": (
            "post",
            f"{base}/holds",
            {
                "debit_account_id": wallet,
                "credit_account_id": escrow,
                "amount": 100,
                "idempotency_key": key,
            },
        ),
    }
    method, path, body = requests[action]
    return lambda caller: call(caller, method, path, body)


@pytest.mark.parametrize("action", list(MATRIX))
def test_permission_matrix(world: World, action: str) -> None:
    got = {}
    for role in ROLES:
        before = ledger_state()
        response = _action(world, action, key=f"{action}-{role}")(_caller(world, role))
        got[role] = response.status_code
        if response.status_code >= 400:
            assert "code" in response.json(), (role, response.content)
            assert ledger_state() == before, role
    expected = dict(zip(ROLES, MATRIX[action], strict=True))
    assert got == expected
