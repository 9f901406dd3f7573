"""One merchant per trade holds under two concurrent admissions (PostgreSQL, real threads).

The service checks the seat first, but two committee members admitting two applicants for
the same trade at the same moment both pass that check; the partial unique index
`merchant_one_per_industry` must then refuse the second insert, and nothing of the
loser's admission (fee, deposit) may be posted.
"""

import pytest

from linli.ledger.models import Journal
from linli.ledger.verification import ledger_verify
from linli.merchants import errors
from linli.merchants.models import ApplicationStatus, Merchant, MerchantApplication
from linli.merchants.services import merchant_admit
from tests.factories import make_merchant
from tests.threads import run_threads

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.mark.parametrize(("trial", "skip_precheck"), [(0, False), (1, False), (0, True), (1, True)])
def test_two_concurrent_admissions_for_one_trade_seat_exactly_one(
    community, operator, monkeypatch, trial, skip_precheck
):
    if skip_precheck:
        # Without the service's check, the partial unique index alone must decide.
        monkeypatch.setattr("linli.merchants.services.seat_holder", lambda **kw: None)
    first = make_merchant(community, "fruit", admit=False)
    second = make_merchant(community, "fruit", admit=False)
    journals_before = Journal.objects.filter(community=community).count()

    results = run_threads(
        [
            lambda: merchant_admit(
                application=MerchantApplication.objects.get(pk=first.pk), actor=operator
            ),
            lambda: merchant_admit(
                application=MerchantApplication.objects.get(pk=second.pk), actor=operator
            ),
        ]
    )

    admitted = [r for r in results if isinstance(r, Merchant)]
    refused = [r for r in results if isinstance(r, errors.IndustryTaken)]
    assert len(admitted) == 1 and len(refused) == 1, results
    assert admitted[0].name in refused[0].render("en")
    assert Merchant.objects.filter(community=community, industry__code="fruit").count() == 1
    statuses = sorted(
        MerchantApplication.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "status", flat=True
        )
    )
    assert statuses == sorted([ApplicationStatus.ADMITTED, ApplicationStatus.PENDING])
    # Only the winner's admission journal and deposit hold were posted.
    assert Journal.objects.filter(community=community).count() == journals_before + 2
    assert ledger_verify(community=community).problem is None
