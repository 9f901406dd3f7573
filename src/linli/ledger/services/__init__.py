"""Every write to the ledger goes through this package; nothing else writes its tables.

- `posting`: journals, holds, expiry, reversals (the use cases);
- `engine`: the one short transaction under all of them, idempotency, retries;
- `accounts`: the chart of accounts, owned accounts, hot-account rollups;
- `checkpoints`: the Merkle tree over journals and signed checkpoints.
"""

from linli.ledger.services.accounts import account_open, chart_ensure, hot_rollup
from linli.ledger.services.checkpoints import checkpoint_create, checkpoints_create_all
from linli.ledger.services.engine import Leg, Posted
from linli.ledger.services.posting import (
    hold_create,
    hold_post,
    hold_void,
    holds_create,
    holds_expire,
    journal_post,
    journal_reverse,
)

__all__ = [
    "Leg",
    "Posted",
    "account_open",
    "chart_ensure",
    "checkpoint_create",
    "checkpoints_create_all",
    "hold_create",
    "hold_post",
    "hold_void",
    "holds_create",
    "holds_expire",
    "hot_rollup",
    "journal_post",
    "journal_reverse",
]
