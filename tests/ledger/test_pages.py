"""The ledger pages through Django's test client: public checkpoints, my ledger, evidence."""

import json

import pytest
from django.test import Client

from linli.ledger.demo import load_demo_ledger
from linli.ledger.display import amount_display
from linli.ledger.models import Checkpoint, Journal
from linli.ledger.verification import ledger_verify
from linli.ledger.verify import all_passed, verify_bundle
from tests.ledger import api_fixtures
from tests.ledger.api_fixtures import World

pytestmark = pytest.mark.django_db
world = api_fixtures.world


@pytest.mark.parametrize(
    ("amount", "asset", "shown"),
    [
        (12345, "CNY", "123.45"),
        (-5, "CNY", "-0.05"),
        (0, "TIME", "0.00"),
        (250, "TIME", "2.50"),
        (7, "PTS", "7"),
        (10**13, "CNY", "100000000000.00"),
    ],
)
def test_amount_display(amount: int, asset: str, shown: str) -> None:
    assert amount_display(amount, asset) == shown


def test_amount_display_refuses_floats() -> None:
    with pytest.raises(TypeError):
        amount_display(1.5, "CNY")  # type: ignore[arg-type]


def _client(w: World, caller: api_fixtures.Caller) -> Client:
    client = Client()
    client.force_login(caller.user)
    return client


def test_public_ledger_page_lists_checkpoints_and_key(world: World) -> None:
    response = Client().get(f"/c/{world.community.slug}/ledger/")
    assert response.status_code == 200
    text = response.content.decode()
    checkpoint = Checkpoint.objects.get(community=world.community)
    assert checkpoint.root_hash[:16] in text
    assert "python -m linli.ledger.verify" in text
    note = Client().get(f"/c/{world.community.slug}/ledger/checkpoints/{checkpoint.tree_size}.txt")
    assert note.status_code == 200
    assert note.content.decode() == checkpoint.signed_note
    assert Client().get("/c/nowhere/ledger/").status_code == 404
    assert Client().get(f"/c/{world.community.slug}/ledger/checkpoints/999.txt").status_code == 404


def test_my_ledger_needs_login(world: World) -> None:
    response = Client().get("/me/ledger/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Client().get("/me/ledger/evidence.json").status_code == 302


def test_my_ledger_shows_my_balance_in_yuan(world: World) -> None:
    response = _client(world, world.owner).get("/me/ledger/")
    assert response.status_code == 200
    assert "85.00" in response.content.decode()  # 10 000 fen in, 1 500 fen spent


def test_statement_pages_and_stays_mine(world: World) -> None:
    client = _client(world, world.owner)
    page = client.get(f"/me/ledger/accounts/{world.owner_wallet.id}/")
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="statement-line"') == 2
    later = client.get(f"/me/ledger/accounts/{world.owner_wallet.id}/?after=1")
    assert later.content.decode().count('data-testid="statement-line"') == 1
    assert client.get(f"/me/ledger/accounts/{world.owner_wallet.id}/?after=x").status_code == 200
    assert client.get(f"/me/ledger/accounts/{world.neighbour_wallet.id}/").status_code == 404
    assert client.get(f"/me/ledger/accounts/{world.foreign_wallet.id}/").status_code == 404


def test_evidence_download_is_an_attachment_that_verifies(world: World) -> None:
    response = _client(world, world.owner).get("/me/ledger/evidence.json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="linli-evidence-{world.community.slug}.json"'
    )
    bundle = json.loads(response.content)
    assert [a["id"] for a in bundle["accounts"]] == [world.owner_wallet.id]
    assert all_passed(verify_bundle(bundle))


def test_demo_ledger_is_idempotent_and_verifies(world: World) -> None:
    first = load_demo_ledger(community=world.community)
    second = load_demo_ledger(community=world.community)
    assert first == second == Journal.objects.filter(community=world.community).count()
    assert first > 5
    report = ledger_verify(community=world.community)
    assert report.problem is None, report.problem
