"""Bundles (打包套餐, A§2.2 "打包价低于单品总价20%"): compose, buy, redeem piece by piece,
expire — the use cases. The money rule is in docs/bundles.md; in short:

* **The member's money never leaves the member before the piece is delivered.** Buying
  posts ONE journal of holds (`ledger.holds_create`): one hold per piece, from the
  member's wallet to that piece's merchant, expiring with the order. The member cannot
  spend the held amount twice, the merchant cannot spend it before delivery, and if the
  platform or a merchant disappears the units are still in the member's wallet.
* Redeeming a piece at its merchant posts that piece's hold (`hold_post`): the merchant
  is paid its share then, not at purchase. A piece is redeemed once, at its merchant only.
* At expiry every unredeemed piece's hold is voided (`hold_void`): that share is back in
  the member's wallet. The ledger's own hold expiry job would do the same; ours records
  why, with deterministic keys, so reruns are safe.
* Shares: the price (in the asset paid) is split over the pieces with the ledger's
  largest-remainder helper, in proportion to list prices (default) or to the operator's
  fixed shares in basis points; the parts add up exactly, so nothing goes to the
  rounding account.
* No commission, fund or cash-back is posted on bundles: the bundle's discount is the
  member benefit, and without rewards there is nothing to farm by self-dealing.
"""

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.commerce import household
from linli.commerce.bundle_models import (
    Bundle,
    BundleItem,
    BundleOrder,
    BundlePiece,
    OrderStatus,
    PieceStatus,
    ShareRule,
)
from linli.communities.models import Community, PolicyVersion
from linli.communities.selectors import policy_in_force
from linli.errors import DomainError
from linli.ledger import errors as ledger_errors
from linli.ledger.allocation import BASIS_POINTS, split_largest_remainder
from linli.ledger.models import Account, AccountKind, Transfer
from linli.ledger.services import Leg, account_open, hold_post, hold_void, holds_create
from linli.members.models import Member
from linli.merchants.models import Merchant, MerchantStatus

MAX_BUNDLE_FEN = 10_000_000  # 100 000 CNY, as a sale
MIN_ITEMS, MAX_ITEMS = 2, 8  # one hold per piece: well inside a journal's 16 transfers
MAX_VALID_DAYS = 366
PIECE_CODE_DIGITS = 10  # not 18 like WeChat/Alipay pay codes, not 88… like member codes
MAX_REQUEST_NO = 64
# A leaving shop still hands over its pieces until its seat closes (issue 5).
REDEEMING = (MerchantStatus.ACTIVE, MerchantStatus.EXITING)
ASSET_WORDS: dict[str, Any] = {"CNY": _("yuan"), "TIME": _("time coins"), "PTS": _("points")}


# --- refusals (each a code a member, an operator or a cashier can read) --------------------


class BundleInvalid(DomainError):
    code = "bundle_invalid"
    status = 400
    message = _("The bundle is incomplete: %(reason)s")


class BundleDiscountTooSmall(DomainError):
    code = "bundle_discount_too_small"
    status = 400
    message = _(
        "A bundle must cost at least %(percent)s%% less than its items' total: "
        "at most %(max_price)s yuan for items worth %(total)s yuan."
    )


class BundleNotOnSale(DomainError):
    code = "bundle_not_on_sale"
    status = 409
    message = _("This bundle is not on sale.")


class BundleAssetRefused(DomainError):
    code = "bundle_asset_refused"
    status = 400
    message = _("This bundle cannot be paid with %(asset)s here.")


class BundleFundsShort(DomainError):
    code = "bundle_funds_short"
    status = 409
    message = _("Not enough %(asset)s in your wallet for this bundle.")


class BundleRequestConflict(DomainError):
    code = "bundle_request_conflict"
    status = 409
    message = _("This request number was already used for a different purchase.")


class PieceCodeInvalid(DomainError):
    code = "bundle_code_invalid"
    status = 404
    message = _("No bundle piece has this code. Check the digits on the member's phone.")


class PieceWrongMerchant(DomainError):
    code = "bundle_wrong_merchant"
    status = 409
    message = _("This piece of the bundle is redeemed at another shop: %(merchant)s.")


class PieceAlreadyRedeemed(DomainError):
    code = "bundle_already_redeemed"
    status = 409
    message = _("This piece of the bundle has already been redeemed.")


class BundleExpired(DomainError):
    code = "bundle_expired"
    status = 409
    message = _("This bundle has expired; what was not redeemed went back to the member.")


class MerchantCannotRedeem(DomainError):
    code = "bundle_merchant_inactive"
    status = 409
    message = _("This shop cannot redeem bundles now.")


# --- composing a bundle ---------------------------------------------------------------------


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _int_in(value: Any, low: int, high: int) -> int | None:
    return value if _whole(value, low, high) else None


def _text(value: Any, field: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not 1 <= len(text) <= 100 or not text.isprintable():
        raise BundleInvalid(reason=_reason_text(field))
    return text


def _reason_text(field: str) -> str:
    return str(_("%(field)s needs 1 to 100 characters.") % {"field": field})


def max_bundle_price(*, list_total_fen: int, policy: PolicyVersion) -> int:
    """The highest price the policy allows: at least bundle_min_discount_bp below the total
    (and always below the total, even where the policy sets no minimum)."""
    ceiling = list_total_fen * (BASIS_POINTS - policy.bundle_min_discount_bp) // BASIS_POINTS
    return min(ceiling, list_total_fen - 1)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _checked_items(
    community: Community, items: Any, share_rule: str
) -> list[tuple[Merchant, str, int, int]]:
    if not isinstance(items, list | tuple) or not MIN_ITEMS <= len(items) <= MAX_ITEMS:
        raise BundleInvalid(reason=str(_("a bundle has 2 to 8 items.")))
    checked = []
    for raw in items:
        if not isinstance(raw, dict):
            raise BundleInvalid(reason=str(_("every item needs a shop, a name and a price.")))
        merchant_id = _int_in(raw.get("merchant_id"), 1, 2**62)
        price = _int_in(raw.get("list_price_fen"), 1, MAX_BUNDLE_FEN)
        if merchant_id is None or price is None:
            raise BundleInvalid(reason=str(_("every item needs a shop and a list price.")))
        merchant = Merchant.objects.filter(
            id=merchant_id, community=community, status=MerchantStatus.ACTIVE
        ).first()
        if merchant is None:
            raise BundleInvalid(reason=str(_("every shop must be an active alliance member.")))
        weight: int | None = price
        if share_rule == ShareRule.FIXED:
            weight = _int_in(raw.get("share_bp"), 1, BASIS_POINTS)
        if weight is None:
            raise BundleInvalid(reason=str(_("fixed shares are 1 to 10000 basis points.")))
        checked.append((merchant, _text(raw.get("title"), str(_("An item"))), price, weight))
    if len({m.id for m, _t, _p, _w in checked}) < 2:
        raise BundleInvalid(reason=str(_("a bundle joins items of at least two shops.")))
    if share_rule == ShareRule.FIXED and sum(w for *_r, w in checked) != BASIS_POINTS:
        raise BundleInvalid(reason=str(_("fixed shares must add up to 10000 basis points.")))
    return checked


def bundle_create(
    *,
    community: Community,
    actor: Any,
    title: Any,
    price_fen: Any,
    valid_days: Any,
    items: Any,
    share_rule: Any = ShareRule.PROPORTIONAL,
    now: datetime | None = None,
) -> Bundle:
    """An operator composes a bundle of several merchants' items (A§2.2). Refused unless
    the price is at least the policy's `bundle_min_discount_bp` below the items' total."""
    if share_rule not in ShareRule.values:
        raise BundleInvalid(reason=str(_("unknown share rule.")))
    title = _text(title, str(_("The title")))
    if not _whole(price_fen, 1, MAX_BUNDLE_FEN):
        raise BundleInvalid(reason=str(_("the price must be 0.01 to 100000 yuan.")))
    if not _whole(valid_days, 1, MAX_VALID_DAYS):
        raise BundleInvalid(reason=str(_("a bundle is valid 1 to 366 days.")))
    checked = _checked_items(community, items, share_rule)
    now = now or timezone.now()
    policy = policy_in_force(community=community, at=now)
    total = sum(price for _m, _t, price, _w in checked)
    ceiling = max_bundle_price(list_total_fen=total, policy=policy)
    if price_fen > ceiling:
        raise BundleDiscountTooSmall(
            percent=f"{policy.bundle_min_discount_bp / 100:g}",
            max_price=_yuan(max(ceiling, 0)),
            total=_yuan(total),
        )
    with transaction.atomic():
        bundle = Bundle.objects.create(
            community=community,
            title=title,
            price_fen=price_fen,
            list_total_fen=total,
            share_rule=share_rule,
            valid_days=valid_days,
            policy=policy,
            created_by=actor,
            created_at=now,
        )
        BundleItem.objects.bulk_create(
            BundleItem(
                bundle=bundle,
                merchant=merchant,
                title=item_title,
                list_price_fen=price,
                share_weight=weight,
                position=position,
            )
            for position, (merchant, item_title, price, weight) in enumerate(checked)
        )
    return bundle


def bundle_withdraw(*, bundle: Bundle) -> Bundle:
    """Stop selling; orders already bought stay redeemable until they expire. A bundle a
    shop's exit notice had paused loses the mark: a withdrawn notice leaves it off."""
    Bundle.objects.filter(id=bundle.id).update(on_sale=False, exit_paused_at=None)
    bundle.on_sale, bundle.exit_paused_at = False, None
    return bundle


# --- buying ---------------------------------------------------------------------------------


def payable_assets(policy: PolicyVersion) -> list[str]:
    """What a member's wallet can hold in this community: CNY (the wallet exists though no
    member top-up does yet) and whatever coins or points the policy issues."""
    issued = {
        policy.spend_reward_asset,
        policy.service_hour_reward_asset,
        policy.referral_reward_asset,
    }
    return ["CNY", *[asset for asset in ("TIME", "PTS") if asset in issued]]


def price_in(*, price_fen: int, asset: str, policy: PolicyVersion) -> int | None:
    """The price in the asset's units, or None when it is not a whole number of them
    (1 coin = coin_value_fen fen in 100 units; 1 point = point_value_fen fen)."""
    if asset == "CNY":
        return price_fen
    if asset == "TIME":
        units, rest = divmod(price_fen * 100, policy.coin_value_fen)
    else:
        units, rest = divmod(price_fen, policy.point_value_fen)
    return units if rest == 0 and units > 0 else None


def piece_shares(*, units: int, weights: Sequence[int]) -> list[int]:
    """Each piece's share of the price, largest remainder (docs/ledger.md "Rounding")."""
    return split_largest_remainder(units, list(weights))


def _request_no(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not 1 <= len(text) <= MAX_REQUEST_NO or not text.isprintable():
        raise BundleRequestConflict()
    return text


def _new_piece_code(community_id: int, taken: set[str]) -> str:
    while True:
        code = "".join(secrets.choice("0123456789") for _i in range(PIECE_CODE_DIGITS))
        if code[0] == "0" or code in taken:
            continue
        if not BundlePiece.objects.filter(community_id=community_id, code=code).exists():
            taken.add(code)
            return code


def _account(community: Community, kind: str, asset: str, owner: str, owner_id: int) -> Account:
    return account_open(
        community=community, kind=kind, asset=asset, owner_type=owner, owner_id=owner_id
    )


def bundle_buy(
    *,
    bundle: Bundle,
    member: Member,
    asset: Any,
    request_no: Any,
    now: datetime | None = None,
) -> tuple[BundleOrder, bool]:
    """A member buys a bundle: ONE journal of holds, one per piece, member → merchant.
    A retry with the same request_no returns the first order (and True for "replayed")."""
    request_no = _request_no(request_no)
    existing = BundleOrder.objects.filter(member=member, request_no=request_no).first()
    if existing is not None:
        return _replayed(existing, bundle, asset), True
    if not bundle.on_sale or bundle.community_id != member.community_id:
        raise BundleNotOnSale()
    if member.closed_at is not None:
        raise BundleNotOnSale()
    now = now or timezone.now()
    policy = policy_in_force(community=bundle.community, at=now)
    if asset not in payable_assets(policy):
        raise BundleAssetRefused(asset=ASSET_WORDS.get(asset, str(asset)[:8]))
    units = price_in(price_fen=bundle.price_fen, asset=asset, policy=policy)
    items = list(bundle.items.select_related("merchant"))
    shares = piece_shares(units=units or 0, weights=[i.share_weight for i in items])
    if units is None or min(shares) < 1:
        raise BundleAssetRefused(asset=ASSET_WORDS[asset])
    if any(i.merchant.status != MerchantStatus.ACTIVE for i in items):
        raise BundleNotOnSale()
    try:
        with transaction.atomic():
            return _post_order(bundle, member, asset, units, items, shares, policy, request_no, now)
    except ledger_errors.InsufficientFunds:
        raise BundleFundsShort(asset=ASSET_WORDS[asset]) from None
    except (IntegrityError, ledger_errors.IdempotencyConflict):
        # Two taps at once: the other one committed this request_no first (its journal
        # differs only by the moment, so the ledger calls it a conflict) — answer with it.
        existing = BundleOrder.objects.filter(member=member, request_no=request_no).first()
        if existing is None:
            raise
        return _replayed(existing, bundle, asset), True


def _post_order(
    bundle: Bundle,
    member: Member,
    asset: str,
    units: int,
    items: list[BundleItem],
    shares: list[int],
    policy: PolicyVersion,
    request_no: str,
    now: datetime,
) -> tuple[BundleOrder, bool]:
    community = bundle.community
    wallet = _account(community, AccountKind.MEMBER_WALLET, asset, "member", member.id)
    expires_at = now + timedelta(days=bundle.valid_days)
    legs = [
        Leg(
            wallet.id,
            _account(community, AccountKind.MERCHANT, asset, "merchant", item.merchant_id).id,
            share,
        )
        for item, share in zip(items, shares, strict=True)
    ]
    posted = holds_create(
        community=community,
        legs=legs,
        expires_at=expires_at,
        code="bundle_buy",
        idempotency_key=f"bundle:{member.id}:{request_no}",
        actor=member.user,
        policy=policy,
        memo=f"bundle {bundle.id}: {bundle.title}"[:200],
    )
    order = BundleOrder.objects.create(
        community=community,
        bundle=bundle,
        member=member,
        request_no=request_no,
        asset=asset,
        units=units,
        status=OrderStatus.OPEN,
        journal_id=posted.journal_id,
        policy=policy,
        expires_at=expires_at,
        created_at=now,
    )
    taken: set[str] = set()
    BundlePiece.objects.bulk_create(
        BundlePiece(
            order=order,
            item=item,
            merchant_id=item.merchant_id,
            community=community,
            code=_new_piece_code(community.id, taken),
            units=share,
            hold_id=hold_id,
            status=PieceStatus.OPEN,
        )
        for item, share, hold_id in zip(items, shares, posted.transfer_ids, strict=True)
    )
    return order, False


def _replayed(order: BundleOrder, bundle: Bundle, asset: Any) -> BundleOrder:
    if order.bundle_id != bundle.id or order.asset != asset:
        raise BundleRequestConflict()
    return order


# --- redeeming a piece at its merchant -----------------------------------------------------


def normalised_code(code: Any) -> str:
    text = "".join(code.split()) if isinstance(code, str) else ""
    if len(text) != PIECE_CODE_DIGITS or not text.isascii() or not text.isdigit():
        raise PieceCodeInvalid()
    return text


def piece_for_till(*, merchant: Merchant, code: Any, now: datetime | None = None) -> BundlePiece:
    """The piece a cashier may redeem now, or the coded reason why not (nothing written) —
    also `household_not_covered` when the member's family-package cover ended."""
    now = now or timezone.now()
    piece = (
        BundlePiece.objects.filter(community_id=merchant.community_id, code=normalised_code(code))
        .select_related("order", "order__member", "order__bundle", "item", "merchant")
        .first()
    )
    if piece is None:
        raise PieceCodeInvalid()
    if piece.merchant_id != merchant.id:
        raise PieceWrongMerchant(merchant=piece.merchant.name)
    if piece.status == PieceStatus.REDEEMED:
        raise PieceAlreadyRedeemed()
    if piece.status == PieceStatus.REFUNDED or piece.order.expires_at <= now:
        raise BundleExpired()
    if merchant.status not in REDEEMING:
        raise MerchantCannotRedeem()
    household.till_cover_check(member=piece.order.member, now=now)  # as the till does
    return piece


def bundle_redeem(
    *, merchant: Merchant, clerk: Any, code: Any, now: datetime | None = None
) -> BundlePiece:
    """The merchant's cashier redeems the member's piece: its hold is posted, so the
    merchant is paid its share now. Twice, or at another shop, is refused."""
    now = now or timezone.now()
    piece = piece_for_till(merchant=merchant, code=code, now=now)
    with transaction.atomic():
        locked = BundlePiece.objects.select_for_update().get(id=piece.id)
        if locked.status == PieceStatus.REFUNDED:  # voided meanwhile (expiry, shop's closing)
            raise BundleExpired()
        if locked.status != PieceStatus.OPEN:
            raise PieceAlreadyRedeemed()
        try:
            posted = hold_post(
                community=merchant.community,
                hold_id=locked.hold_id,
                idempotency_key=f"bundle-redeem:{locked.id}",
                code="bundle_redeem",
                actor=clerk,
                policy=piece.order.policy,
                memo=f"bundle piece {locked.id} redeemed",
            )
        except (ledger_errors.HoldResolved, ledger_errors.HoldExpired):
            raise BundleExpired() from None
        if posted.replayed:
            raise PieceAlreadyRedeemed()
        _resolve(locked, PieceStatus.REDEEMED, posted.journal_id, now, clerk)
    piece.refresh_from_db()
    return piece


def _resolve(piece: BundlePiece, status: str, journal_id: Any, now: datetime, by: Any) -> None:
    piece.status = status
    piece.resolved_journal_id = journal_id
    piece.resolved_at = now
    piece.redeemed_by = by
    piece.save(update_fields=["status", "resolved_journal_id", "resolved_at", "redeemed_by"])
    order = piece.order
    open_left = order.pieces.filter(status=PieceStatus.OPEN).exists()
    if not open_left and order.status == OrderStatus.OPEN:
        redeemed_all = not order.pieces.exclude(status=PieceStatus.REDEEMED).exists()
        order.status = OrderStatus.COMPLETED if redeemed_all else OrderStatus.EXPIRED
        order.save(update_fields=["status"])


# --- expiry ---------------------------------------------------------------------------------

REFUND_REASONS = {
    "expire": ("bundle_expire", "expired"),
    "exit": ("bundle_merchant_exit", "returned: its shop left the alliance"),
}


def bundles_expire(*, now: datetime | None = None, limit: int = 200) -> int:
    """The periodic job: every unredeemed piece of an expired order gets its hold voided —
    its share is back in the member's wallet. Deterministic keys make reruns safe; a hold
    the ledger's own expiry job voided first is recorded with that journal."""
    now = now or timezone.now()
    orders = BundleOrder.objects.filter(status=OrderStatus.OPEN, expires_at__lte=now)
    refunded = 0
    for order in orders.select_related("community").order_by("expires_at")[:limit]:
        for piece in order.pieces.filter(status=PieceStatus.OPEN):
            _refund_piece(order, piece, now)
            refunded += 1
    return refunded


def _refund_piece(
    order: BundleOrder, piece: BundlePiece, now: datetime, why: str = "expire"
) -> bool:
    """Void the piece's hold: its share is back in the member's wallet. `why` is "expire"
    (journal `bundle_expire`) or "exit" (its shop left the alliance, `bundle_merchant_exit`).
    Returns False when the piece was already resolved (nothing written)."""
    code, memo = REFUND_REASONS[why]
    with transaction.atomic():
        locked = BundlePiece.objects.select_for_update().get(id=piece.id)
        if locked.status != PieceStatus.OPEN:
            return False
        try:
            journal_id = hold_void(
                community=order.community,
                hold_id=locked.hold_id,
                idempotency_key=f"bundle-{why}:{locked.id}",
                code=code,
                policy=order.policy,
                memo=f"bundle piece {locked.id} {memo}",
            ).journal_id
        except ledger_errors.HoldResolved:
            journal_id = (
                Transfer.objects.filter(pending_id=locked.hold_id)
                .values_list("journal_id", flat=True)
                .get()
            )
        _resolve(locked, PieceStatus.REFUNDED, journal_id, now, None)
    return True


# --- a merchant leaves the alliance (issue 5; docs/merchant-exit.md) -----------------------


def merchant_leaving(*, merchant: Merchant, phase: str, actor: Any) -> int:
    """Exit hook. At "notice" the bundles with a piece at this shop stop being sold (marked
    `exit_paused_at`) and the members holding unredeemed pieces there are told they can
    redeem them until the closing day. At "prepare" those pieces' rows are locked (before
    the closing locks the shop's accounts, as the till does). At "settle" every piece still
    unredeemed there is voided through the ledger — its share back in the member's wallet
    — and its holder is told; the order's other pieces stay good. At "withdraw" the
    bundles the notice paused go back on sale unless another of their shops is leaving.
    Returns the rows changed (locked at "prepare")."""
    if phase == "notice":
        return _exit_pause(merchant)
    if phase == "withdraw":
        return _exit_paused_restore(merchant)
    if phase == "prepare":
        return len(_open_pieces_at(merchant).select_for_update().values_list("id", flat=True))
    return _exit_pieces_return(merchant)


def _open_pieces_at(merchant: Merchant) -> Any:
    return BundlePiece.objects.filter(merchant=merchant, status=PieceStatus.OPEN).order_by("id")


def _exit_pause(merchant: Merchant) -> int:
    from linli.merchants.exit_hooks import day_label, exit_at_once

    now = timezone.now()
    bundle_ids = BundleItem.objects.filter(merchant=merchant).values("bundle_id")
    paused = Bundle.objects.filter(id__in=bundle_ids, on_sale=True).update(
        on_sale=False, exit_paused_at=now
    )
    if merchant.exit_effective_at is not None and not exit_at_once(merchant):
        holders = _open_pieces_at(merchant).filter(order__expires_at__gt=now)
        _holders_tell(
            member_ids=holders.values_list("order__member_id", flat=True),
            kind="bundle_shop_leaving",
            params={"merchant": merchant.name, "on": day_label(merchant.exit_effective_at)},
        )
    return paused


def _exit_paused_restore(merchant: Merchant) -> int:
    leaving = BundleItem.objects.exclude(
        merchant__status__in=(MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED)
    ).values("bundle_id")
    bundle_ids = BundleItem.objects.filter(merchant=merchant).values("bundle_id")
    return (
        Bundle.objects.filter(id__in=bundle_ids, exit_paused_at__isnull=False)
        .exclude(id__in=leaving)
        .update(on_sale=True, exit_paused_at=None)
    )


def _exit_pieces_return(merchant: Merchant) -> int:
    now = timezone.now()
    pieces = _open_pieces_at(merchant).select_related("order", "order__community", "order__policy")
    returned, member_ids = 0, set()
    for piece in pieces:
        if _refund_piece(piece.order, piece, now, why="exit"):
            returned += 1
            member_ids.add(piece.order.member_id)
    _holders_tell(
        member_ids=member_ids, kind="bundle_pieces_returned", params={"merchant": merchant.name}
    )
    return returned


def _holders_tell(*, member_ids: Any, kind: str, params: dict[str, str]) -> int:
    from linli.members.notices import notice_send

    sent = 0
    for member in Member.objects.filter(id__in=set(member_ids)).order_by("id"):
        if notice_send(member=member, kind=kind, params=params):
            sent += 1
    return sent
