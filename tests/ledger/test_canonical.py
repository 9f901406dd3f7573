"""The canonical leaf encoding: golden bytes (with Chinese text), refusals, leaf shape."""

from __future__ import annotations

import copy
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linli.ledger.canonical import canonical_bytes, journal_leaf_hash, validate_leaf

GOLDEN = Path(__file__).parent / "golden"


def golden_leaf() -> dict[str, Any]:
    """The leaf whose bytes are pinned in golden/leaf_v1.json.bin: never edit it."""
    return {
        "v": 1,
        "community": "lin-li-garden",
        "seq": 17,
        "journal": "0f8e2d6c4b7a41e5a3c9d1f2e4b6a8c0",
        "code": "purchase",
        "at": "2026-11-23T04:05:06.123456Z",
        "policy": 3,
        "ref": None,
        "memo": "会员费 2026 · “邻里”\n第二行",
        "transfers": [
            {
                "leg": 0,
                "asset": "CNY",
                "debit": 12,
                "credit": 40,
                "amount": 9900,
                "kind": "single",
                "pending": None,
            },
            {
                "leg": 1,
                "asset": "CNY",
                "debit": 40,
                "credit": 7,
                "amount": 500,
                "kind": "single",
                "pending": None,
            },
        ],
        "entries": [
            {"account": 12, "version": 5, "delta": -9900, "pending_delta": 0, "balance_after": 100},
            {
                "account": 40,
                "version": 8,
                "delta": 9900,
                "pending_delta": 0,
                "balance_after": 20000,
            },
            {
                "account": 40,
                "version": 9,
                "delta": -500,
                "pending_delta": 0,
                "balance_after": 19500,
            },
        ],
    }


def hold_leaf() -> dict[str, Any]:
    """A hold being posted: 300 of a 500 hold moves from account 12 to 40."""
    return {
        "v": 1,
        "community": "lin-li-garden",
        "seq": 18,
        "journal": "1" * 32,
        "code": "hold_post",
        "at": "2026-11-23T05:00:00.000000Z",
        "policy": None,
        "ref": None,
        "memo": "",
        "transfers": [
            {
                "leg": 0,
                "asset": "CNY",
                "debit": 12,
                "credit": 40,
                "amount": 300,
                "kind": "post",
                "pending": "a" * 32,
            }
        ],
        "entries": [
            {
                "account": 12,
                "version": 6,
                "delta": -300,
                "pending_delta": 500,
                "balance_after": -200,
            },
            {
                "account": 40,
                "version": 10,
                "delta": 300,
                "pending_delta": -500,
                "balance_after": 300,
            },
        ],
    }


# --- golden ------------------------------------------------------------------------------------


def test_golden_leaf_encodes_to_the_committed_bytes() -> None:
    assert canonical_bytes(golden_leaf()) == (GOLDEN / "leaf_v1.json.bin").read_bytes()


def test_golden_leaf_hash_is_sha256_of_zero_byte_and_bytes() -> None:
    expected = (GOLDEN / "leaf_v1.hash.hex").read_text().strip()
    assert journal_leaf_hash(golden_leaf()).hex() == expected
    raw = (GOLDEN / "leaf_v1.json.bin").read_bytes()
    assert hashlib.sha256(b"\x00" + raw).hexdigest() == expected


def test_chinese_text_is_raw_utf8_not_escaped() -> None:
    raw = canonical_bytes(golden_leaf())
    assert "会员费".encode() in raw
    assert b"\\u" not in raw
    assert b'"memo":"\xe4\xbc\x9a' in raw  # 会 = U+4F1A
    assert b"\\n" in raw  # the newline in the memo is escaped, the bytes have none
    assert b"\n" not in raw


def test_golden_leaf_is_a_valid_leaf() -> None:
    validate_leaf(golden_leaf())
    validate_leaf(hold_leaf())


# --- encoding rules ------------------------------------------------------------------------------


def test_keys_sorted_and_no_whitespace() -> None:
    assert canonical_bytes({"b": 1, "a": [True, False, None], "c": "x"}) == (
        b'{"a":[true,false,null],"b":1,"c":"x"}'
    )


def test_key_order_of_the_input_does_not_matter() -> None:
    leaf = golden_leaf()
    reversed_leaf = dict(reversed(list(leaf.items())))
    assert canonical_bytes(reversed_leaf) == canonical_bytes(leaf)


def test_bools_stay_bools_and_ints_stay_ints() -> None:
    assert canonical_bytes([True, 1, False, 0]) == b"[true,1,false,0]"


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        float("nan"),
        float("inf"),
        Decimal("1.00"),
        (1, 2),
        {1: "x"},
        {"a": {("t",): 1}},
        b"bytes",
        {1, 2},
        object(),
        [1, [2, [3.5]]],
    ],
)
def test_types_without_a_canonical_form_raise_type_error(value: object) -> None:
    with pytest.raises(TypeError):
        canonical_bytes(value)


@pytest.mark.parametrize("value", [1 << 63, -(1 << 63) - 1, [10**30]])
def test_integers_outside_int64_raise(value: object) -> None:
    with pytest.raises(ValueError):
        canonical_bytes(value)


def test_int64_edges_are_fine() -> None:
    assert canonical_bytes([(1 << 63) - 1, -(1 << 63)]) == (
        b"[9223372036854775807,-9223372036854775808]"
    )


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(ValueError):
        canonical_bytes({"memo": "\ud800"})


def test_unicode_is_not_normalised() -> None:
    composed, decomposed = "\u00e9", "e\u0301"
    assert canonical_bytes(composed) != canonical_bytes(decomposed)


def test_deep_nesting_is_refused() -> None:
    value: object = 1
    for _ in range(40):
        value = [value]
    with pytest.raises(ValueError):
        canonical_bytes(value)


unicode_text = st.text(alphabet=st.characters(codec="utf-8"))  # no lone surrogates
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(1 << 63), (1 << 63) - 1) | unicode_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(unicode_text, inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_encoding_round_trips_and_is_stable(value: object) -> None:
    import json

    raw = canonical_bytes(value)
    assert json.loads(raw.decode("utf-8")) == value
    assert canonical_bytes(json.loads(raw)) == raw


# --- leaf shape ----------------------------------------------------------------------------------


def _mutate(path: list[Any], value: Any) -> dict[str, Any]:
    leaf = copy.deepcopy(golden_leaf())
    target: Any = leaf
    for step in path[:-1]:
        target = target[step]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return leaf


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["v"], 2, "leaf.v"),
        (["v"], True, "leaf.v"),
        (["seq"], 0, "leaf.seq"),
        (["seq"], "17", "leaf.seq"),
        (["seq"], 17.0, "leaf.seq"),
        (["journal"], "0F8E2D6C4B7A41E5A3C9D1F2E4B6A8C0", "leaf.journal"),
        (["journal"], "not-a-uuid", "leaf.journal"),
        (["community"], "", "leaf.community"),
        (["community"], "有 空格", "leaf.community"),
        (["code"], "", "leaf.code"),
        (["at"], "2026-11-23T04:05:06Z", "leaf.at"),
        (["at"], "2026-11-23 04:05:06.123456", "leaf.at"),
        (["at"], "2026-02-30T04:05:06.123456Z", "leaf.at"),
        (["policy"], 0, "leaf.policy"),
        (["ref"], "xyz", "leaf.ref"),
        (["memo"], None, "leaf.memo"),
        (["memo"], "长" * 501, "leaf.memo"),
        (["extra"], 1, "unexpected extra"),
        (["memo"], _DELETE, "lacks memo"),
        (["transfers"], [], "leaf.transfers"),
        (["transfers", 0, "leg"], 1, "leg must be 0"),
        (["transfers", 0, "asset"], "cny", "asset"),
        (["transfers", 0, "amount"], 0, "amount"),
        (["transfers", 0, "amount"], 99.0, "amount"),
        (["transfers", 0, "credit"], 12, "same account"),
        (["transfers", 0, "kind"], "refund", "kind"),
        (["transfers", 0, "pending"], "a" * 32, "pending must be null"),
        (["transfers", 0, "fee"], 1, "unexpected fee"),
        (["entries"], "none", "leaf.entries"),
        (["entries", 0, "version"], 0, "version"),
        (["entries", 0, "delta"], None, "delta"),
        (["entries", 0, "account"], 99, "account"),  # unsorted now
        (["entries", 2, "version"], 8, "sorted"),  # repeated (40, 8)
        (["entries", 0, "delta"], -9901, "account 12"),  # disagrees with the transfers
        (["transfers", 0, "amount"], 9901, "account 12"),
    ],
)
def test_validate_leaf_names_the_problem(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_leaf(_mutate(path, value))


def test_entries_for_an_account_no_transfer_moves_are_refused() -> None:
    leaf = golden_leaf()
    leaf["entries"].append(
        {"account": 99, "version": 1, "delta": 0, "pending_delta": 0, "balance_after": 0}
    )
    with pytest.raises(ValueError, match="no transfer moves"):
        validate_leaf(leaf)


def test_hot_accounts_may_have_no_entries() -> None:
    leaf = golden_leaf()
    leaf["entries"] = [e for e in leaf["entries"] if e["account"] != 40]  # 40 is hot
    validate_leaf(leaf)


def test_post_and_void_must_name_their_hold() -> None:
    leaf = hold_leaf()
    leaf["transfers"][0]["pending"] = None
    with pytest.raises(ValueError, match="pending"):
        validate_leaf(leaf)
    leaf["transfers"][0]["pending"] = 7
    with pytest.raises(ValueError, match="pending"):
        validate_leaf(leaf)


def test_too_many_transfers_are_refused() -> None:
    leaf = golden_leaf()
    leg = leaf["transfers"][0]
    leaf["transfers"] = [dict(leg, leg=i) for i in range(17)]
    leaf["entries"] = []
    with pytest.raises(ValueError, match="1 to 16"):
        validate_leaf(leaf)


@pytest.mark.parametrize("leaf", [None, [], "leaf", 17])
def test_validate_leaf_refuses_non_objects(leaf: object) -> None:
    with pytest.raises(ValueError):
        validate_leaf(leaf)


# --- the direct encoder verify_ledger uses (leaves.journal_leaf_text) -------------------------

_any_scalar = st.one_of(
    st.integers(),
    st.text(),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.uuids(),
)
_int_or_other = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), _any_scalar)
_text_or_other = st.one_of(st.text(), _any_scalar)
_id_or_other = st.one_of(st.uuids(), st.uuids().map(lambda u: u.hex), st.none(), _any_scalar)


def _rows_and_fields(draw: Any) -> tuple[dict[str, Any], list[tuple], list[tuple]]:
    from datetime import UTC, datetime

    fields = {
        "community_slug": draw(_text_or_other),
        "seq": draw(_int_or_other),
        "journal_id": draw(_id_or_other),
        "code": draw(_text_or_other),
        "created_at": draw(st.datetimes(timezones=st.just(UTC))).astimezone(UTC)
        if draw(st.booleans())
        else datetime(2026, 12, 2, 1, 2, 3, tzinfo=UTC),
        "policy_id": draw(st.one_of(st.none(), _int_or_other)),
        "reverses_id": draw(_id_or_other),
        "memo": draw(_text_or_other),
    }
    transfers = draw(
        st.lists(
            st.tuples(
                st.integers(0, 15),
                _text_or_other,
                _int_or_other,
                _int_or_other,
                _int_or_other,
                _text_or_other,
                _id_or_other,
            ),
            max_size=4,
            unique_by=lambda t: t[0],
        )
    )
    entries = draw(
        st.lists(
            st.tuples(st.integers(1, 9), st.integers(1, 9), *[_int_or_other] * 3),
            max_size=4,
            unique_by=lambda e: (e[0], e[1]),
        )
    )
    return fields, sorted(transfers), sorted(entries)


def _general_path(fields: dict[str, Any], transfers: list[tuple], entries: list[tuple]) -> Any:
    from linli.ledger.leaves import journal_leaf, leaf_entry, leaf_transfer

    t_keys = ("leg", "asset", "debit", "credit", "amount", "kind", "pending")
    e_keys = ("account", "version", "delta", "pending_delta", "balance_after")
    try:
        leaf = journal_leaf(
            **fields,
            transfers=[leaf_transfer(**dict(zip(t_keys, t, strict=True))) for t in transfers],
            entries=[leaf_entry(**dict(zip(e_keys, e, strict=True))) for e in entries],
        )
        return canonical_bytes(leaf, checked=False)
    except (TypeError, ValueError, AttributeError) as exc:
        return type(exc)


@given(st.data())
def test_the_direct_leaf_text_is_the_general_encoding_or_defers_to_it(data):
    """Rows of plain types give the very bytes of `canonical_bytes(journal_leaf(...))`; any
    other type (bool, float, UUID where text belongs…) makes it defer to that path."""
    from linli.ledger.leaves import UnusualRow, journal_leaf_text

    fields, transfers, entries = _rows_and_fields(data.draw)
    expected = _general_path(fields, transfers, entries)
    try:
        text = journal_leaf_text(**fields, transfers=transfers, entries=entries)
        direct: Any = text.encode("utf-8")
    except UnusualRow:
        return
    except UnicodeEncodeError:
        direct = ValueError
    assert direct == expected


def test_the_direct_leaf_text_of_a_plain_leaf_is_canonical():
    import uuid
    from datetime import UTC, datetime

    from linli.ledger.leaves import journal_leaf_text

    fields = {
        "community_slug": "lin-li",
        "seq": 3,
        "journal_id": uuid.UUID(int=7),
        "code": "purchase",
        "created_at": datetime(2026, 12, 2, 1, 2, 3, 4, tzinfo=UTC),
        "policy_id": 2,
        "reverses_id": None,
        "memo": '邻里 "超市"\n\\ \x01',
    }
    transfers = [(0, "CNY", 5, 6, 900, "single", None), (1, "CNY", 5, 7, 1, "post", "ab" * 16)]
    entries = [(5, 1, -901, 0, -901), (6, 4, 900, 0, 900), (7, 1, 1, -1, 1)]
    assert journal_leaf_text(
        **fields, transfers=transfers, entries=entries
    ).encode() == _general_path(fields, transfers, entries)
