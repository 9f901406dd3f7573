"""What a sale posts, leg by leg: pure functions over account ids and policy numbers.

The rule (SPEC capability 4; A§2.1, A§2.3, A§3.2, A§4.1, A§7, B§1.1, B§1.3):

* Each part of the payment is received by the merchant in its own asset — cash at the
  till (`cash_in` → merchant CNY), time coins (member TIME → merchant TIME), points
  (member PTS → merchant PTS) — and the merchant pays the sale's fees **out of each part,
  in that part's asset**: platform commission, community fund, and the cross-referral
  rebate to the merchant that referred the member. Each part is split with
  `split_basis_points(part, {commission, fund, rebate}, rest="merchant")`, so fees add up
  exactly and a merchant can never be overdrawn by a sale paid mostly in coins.
* Rewards are issued, not taken from the merchant: cash-back `spend_reward_bp` of the
  sale's fen in the policy's reward asset (A: 5% in coin units; B: 0.5 point per CNY) from
  `issuance` to the member, and the gold referrer's `gold_team_spend_bp` share of a direct
  referral's spend, in the same asset, from `issuance` to the referrer.
* A platform voucher (美团/抖音) is a part like cash — paid to the merchant outside Linli,
  posted from `cash_in` — with the reason "voucher" on its payment leg (`vouchers.py`).
* The commission rate is graded by the merchant's rank in the latest closed quarter,
  between the policy's `commission_min_bp` and `commission_max_bp`
  (`linli.merchants.selectors.commission_grade`); the sale records the rate it used.

Refunds (cumulative, proportional): after a cumulative refund of R of a sale of P fen,
every original leg of amount a has been reversed by floor(a·R/P) — ceil(a·R/P) for the
fees, which flow back to the merchant, so rounding never overdraws it. Each refund posts the
difference from the previous one, so any sequence of partial refunds never reverses more
than the original and a full refund reverses it exactly. A cash-back the member has spent
since is not clawed back below zero: the unrecoverable part is borne by the platform's
`subsidy` account (subsidy → issuance), named on the receipt. Cash-back in points is
credited to the member's frozen points account (`commerce/lots.py`) and taken back from
there first, then from the wallet if it was released meanwhile.
"""

from dataclasses import asdict, dataclass

from linli.ledger.allocation import split_basis_points


@dataclass(frozen=True)
class PlannedLeg:
    debit_account_id: int
    credit_account_id: int
    amount: int
    asset: str
    reason: str  # payment / voucher / commission / fund / rebate / cashback / gold / writeoff

    def as_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Rates:
    commission_bp: int
    fund_bp: int
    rebate_bp: int
    reward_bp: int
    gold_bp: int


@dataclass(frozen=True)
class PaymentPart:
    asset: str
    units: int
    source_account_id: int  # cash_in, or the member's wallet
    merchant_account_id: int
    platform_account_id: int
    fund_account_id: int
    rebate_account_id: int | None  # the referring merchant's account in this asset
    reason: str = "payment"  # "voucher": a platform voucher, received outside Linli like cash


@dataclass(frozen=True)
class Reward:
    asset: str
    issuance_account_id: int
    member_account_id: int
    gold_account_id: int | None  # the gold referrer's wallet


def sale_legs(
    *, amount_fen: int, parts: list[PaymentPart], reward: Reward, rates: Rates
) -> list[PlannedLeg]:
    legs: list[PlannedLeg] = []
    for part in parts:
        if part.units <= 0:
            continue
        legs.append(
            PlannedLeg(
                part.source_account_id,
                part.merchant_account_id,
                part.units,
                part.asset,
                part.reason,
            )
        )
        shares = {"commission": rates.commission_bp, "fund": rates.fund_bp}
        if part.rebate_account_id is not None:
            shares["rebate"] = rates.rebate_bp
        split = split_basis_points(part.units, shares, rest="merchant")
        targets = {
            "commission": part.platform_account_id,
            "fund": part.fund_account_id,
            "rebate": part.rebate_account_id,
        }
        for reason in ("commission", "fund", "rebate"):
            target = targets[reason]
            if split.get(reason, 0) > 0 and target is not None:
                legs.append(
                    PlannedLeg(part.merchant_account_id, target, split[reason], part.asset, reason)
                )
    rewards = {"cashback": rates.reward_bp}
    if reward.gold_account_id is not None:
        rewards["gold"] = rates.gold_bp
    issued = split_basis_points(amount_fen, rewards, rest="sale")
    if issued["cashback"] > 0:
        legs.append(
            PlannedLeg(
                reward.issuance_account_id,
                reward.member_account_id,
                issued["cashback"],
                reward.asset,
                "cashback",
            )
        )
    if reward.gold_account_id is not None and issued.get("gold", 0) > 0:
        legs.append(
            PlannedLeg(
                reward.issuance_account_id,
                reward.gold_account_id,
                issued["gold"],
                reward.asset,
                "gold",
            )
        )
    return legs


def refund_legs(
    *,
    original: list[PlannedLeg],
    amount_fen: int,
    refunded_before_fen: int,
    refunded_after_fen: int,
    member_available: dict[int, int],
    subsidy_accounts: dict[str, int],
    spill: dict[int, int] | None = None,
) -> list[PlannedLeg]:
    """The reversing legs for moving the cumulative refund from `before` to `after` fen.

    `member_available` maps the member's wallet ids to what they hold now; a reward
    reversal never takes more than that plus what this refund gives back to them.
    `spill` maps a frozen points account to its member's wallet: a reward credited frozen
    is taken back from the frozen points first, then from the wallet (the window closed
    and the points were released), and only the rest is written off."""
    spill = spill or {}
    legs: list[PlannedLeg] = []
    incoming: dict[int, int] = {}
    for leg in original:
        delta = _reversed(
            leg.amount,
            amount_fen,
            refunded_before_fen,
            refunded_after_fen,
            leg.reason in _ROUNDED_UP,
        )
        if delta > 0 and leg.reason == "payment":
            incoming[leg.debit_account_id] = incoming.get(leg.debit_account_id, 0) + delta
    for leg in original:
        delta = _reversed(
            leg.amount,
            amount_fen,
            refunded_before_fen,
            refunded_after_fen,
            leg.reason in _ROUNDED_UP,
        )
        if delta <= 0:
            continue
        member_id = leg.credit_account_id
        if leg.reason in ("cashback", "gold") and member_id in member_available:
            for source in (member_id, spill.get(member_id)):
                if source is None or source not in member_available or not delta:
                    continue
                can_take = max(0, member_available[source] + incoming.get(source, 0))
                taken = min(delta, can_take)
                member_available[source] = member_available[source] - taken
                delta -= taken
                if taken:
                    legs.append(
                        PlannedLeg(source, leg.debit_account_id, taken, leg.asset, leg.reason)
                    )
            if delta:
                legs.append(
                    PlannedLeg(
                        subsidy_accounts[leg.asset],
                        leg.debit_account_id,
                        delta,
                        leg.asset,
                        "writeoff",
                    )
                )
            continue
        legs.append(
            PlannedLeg(leg.credit_account_id, leg.debit_account_id, delta, leg.asset, leg.reason)
        )
    return legs


# Fees flow back to the merchant rounded up and the payment back to the member rounded
# down, so after any partial refund the merchant keeps at least its exact share of the
# rest: (payment − fees)·(1 − r) ≥ 0 — never overdrawn by rounding.
_ROUNDED_UP = frozenset({"commission", "fund", "rebate"})


def _reversed(amount: int, total_fen: int, before_fen: int, after_fen: int, up: bool) -> int:
    if up:
        return -(-amount * after_fen // total_fen) + (-amount * before_fen // total_fen)
    return amount * after_fen // total_fen - amount * before_fen // total_fen
