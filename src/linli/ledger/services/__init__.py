"""Every write to the ledger goes through this package; nothing else writes its tables.

- `posting`: journals, holds, reversals, accounts, hot-account rollups.
- `checkpoints`: the Merkle tree over journals and signed checkpoints.
"""

from linli.ledger.services.checkpoints import checkpoint_create, checkpoints_create_all
from linli.ledger.services.posting import (
    Leg,
    Posted,
    account_open,
    chart_ensure,
    hold_create,
    hold_post,
    hold_void,
    holds_expire,
    hot_rollup,
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
    "holds_expire",
    "hot_rollup",
    "journal_post",
    "journal_reverse",
]
