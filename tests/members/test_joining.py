"""Joining: SMS codes, registration, consent, household, real name, masking."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from linli.communities.models import Building, Neighbourhood
from linli.members import errors, pii
from linli.members.identity import id_check_char, id_is_valid
from linli.members.models import Consent, ConsoleSms, Member, Notice, SmsCode
from linli.members.services import member_register, member_verify_identity, sms_code_request
from linli.members.services.joining import CODE_MAX_ATTEMPTS
from tests.members.conftest import code_for, join, next_phone, valid_id

TODAY = date(2026, 11, 23)


def test_gb11643_known_number():
    # The standard's own example: 11010519491231002X.
    assert id_check_char("11010519491231002") == "X"
    assert id_is_valid("11010519491231002X", today=TODAY)
    assert not id_is_valid("110105194912310021", today=TODAY)


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY), st.integers(0, 999))
def test_every_valid_number_checks_and_one_wrong_digit_fails(born, seq):
    number = valid_id(born, seq=f"{seq:03d}")
    assert id_is_valid(number, today=TODAY) == (TODAY.year - born.year <= 130)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    assert not id_is_valid(wrong, today=TODAY)


def test_impossible_birth_dates_fail():
    assert not id_is_valid(valid_id(TODAY + timedelta(days=1)), today=TODAY)
    first17 = "11010519990230123"  # 30 February
    assert not id_is_valid(first17 + id_check_char(first17), today=TODAY)


def test_masks():
    assert pii.mask_phone("13812345678") == "138****5678"
    assert pii.mask_id_number("110105198005171234") == "110***********1234"


def test_join_with_phone_only(community):
    member = join(community)
    assert member.user.has_usable_password() is False
    assert member.verified_at is None
    assert member.user.community_roles.get().role == "member"
    assert Consent.objects.filter(member=member, purpose="terms", granted=True).exists()
    assert Consent.objects.filter(member=member, purpose="marketing", granted=False).exists()
    assert Notice.objects.filter(member=member, kind="joined").count() == 1


def test_phone_is_encrypted_at_rest(community):
    phone = next_phone()
    member = join(community, phone=phone)
    raw = Member.objects.filter(pk=member.pk).values_list("phone_cipher", "phone_hash").get()
    assert phone not in raw[0] and phone not in raw[1]
    assert pii.decrypt(raw[0]) == phone


def test_join_with_building_creates_household_and_consent(community):
    hood = Neighbourhood.objects.create(community=community, name="阳光小区")
    building = Building.objects.create(community=community, neighbourhood=hood, name="3号楼")
    first = join(community, building=building, unit_label="1202")
    second = join(community, building=building, unit_label="1202")
    assert first.household_id == second.household_id is not None
    assert Consent.objects.filter(member=first, purpose="household").exists()


def test_terms_must_be_accepted(community):
    with pytest.raises(errors.ConsentRequired):
        join(community, accepts_terms=False)
    assert Member.objects.count() == 0


def test_reused_phone_is_refused(community):
    phone = next_phone()
    join(community, phone=phone)
    code = "000000"  # the number is refused before the code is even looked at
    with pytest.raises(errors.PhoneTaken):
        sms_code_request(phone=phone, ip=None, now=timezone.now() + timedelta(minutes=3))
    with pytest.raises(errors.PhoneTaken):
        member_register(
            community=community, phone=phone, code=code, display_name="x", accepts_terms=True
        )
    assert Member.objects.count() == 1


def test_bad_phone_is_refused(community):
    with pytest.raises(errors.InvalidPhone):
        sms_code_request(phone="12345", ip=None)


def test_expired_code_is_refused(community):
    phone = next_phone()
    code = code_for(phone, community)
    later = timezone.now() + timedelta(minutes=6)
    with pytest.raises(errors.CodeInvalid):
        member_register(
            community=community,
            phone=phone,
            code=code,
            display_name="x",
            accepts_terms=True,
            now=later,
        )
    assert Member.objects.count() == 0


def test_code_is_single_use_and_stored_hashed(community):
    phone = next_phone()
    code = code_for(phone, community)
    assert not SmsCode.objects.filter(code_hash__contains=code).exists()
    member_register(
        community=community, phone=phone, code=code, display_name="x", accepts_terms=True
    )
    assert SmsCode.objects.get().used_at is not None


def test_wrong_guesses_are_counted_and_exhaust_the_code(community):
    phone = next_phone()
    code = code_for(phone, community)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(CODE_MAX_ATTEMPTS):
        with pytest.raises(errors.CodeInvalid):
            member_register(
                community=community, phone=phone, code=wrong, display_name="x", accepts_terms=True
            )
    assert SmsCode.objects.get().attempts == CODE_MAX_ATTEMPTS
    with pytest.raises(errors.CodeInvalid):
        member_register(
            community=community, phone=phone, code=code, display_name="x", accepts_terms=True
        )


def test_codes_are_rate_limited_per_number(community):
    phone = next_phone()
    sms_code_request(phone=phone, ip=None)
    with pytest.raises(errors.TooManyCodes):
        sms_code_request(phone=phone, ip=None)
    assert SmsCode.objects.count() == 1


def test_codes_are_rate_limited_per_ip(community):
    for _ in range(20):
        sms_code_request(phone=next_phone(), ip="10.0.0.9")
    with pytest.raises(errors.TooManyCodes):
        sms_code_request(phone=next_phone(), ip="10.0.0.9")
    sms_code_request(phone=next_phone(), ip="10.0.0.10")


def test_console_backend_records_a_masked_number(community):
    phone = next_phone()
    sent = sms_code_request(phone=phone, ip=None, community=community)
    assert sent.is_console
    row = ConsoleSms.objects.get()
    assert row.phone_masked == pii.mask_phone(phone) and phone not in row.phone_masked


def test_real_name_sets_birth_date_and_is_encrypted(community):
    member = join(community)
    number = valid_id(date(1950, 3, 1))
    verified = member_verify_identity(
        member=member, real_name="张三", id_number=number, consents=True
    )
    assert verified.birth_date == date(1950, 3, 1)
    assert verified.identity_backend == "checksum_only"
    assert number not in verified.id_number_cipher
    assert Consent.objects.filter(member=member, purpose="real_name").exists()


def test_wrong_id_checksum_is_refused(community):
    member = join(community)
    number = valid_id()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(errors.InvalidIdNumber):
        member_verify_identity(member=member, real_name="张三", id_number=wrong, consents=True)
    member.refresh_from_db()
    assert member.verified_at is None and member.id_hash is None


def test_one_id_number_one_member(community):
    number = valid_id()
    member_verify_identity(
        member=join(community), real_name="张三", id_number=number, consents=True
    )
    with pytest.raises(errors.IdTaken):
        member_verify_identity(
            member=join(community), real_name="张三", id_number=number, consents=True
        )


def test_real_name_needs_its_own_consent(community):
    with pytest.raises(errors.ConsentRequired):
        member_verify_identity(
            member=join(community), real_name="张三", id_number=valid_id(), consents=False
        )


def test_phone_unique_in_the_database(community):
    member = join(community)
    other = join(community)
    other.phone_hash = member.phone_hash
    with pytest.raises(IntegrityError):
        other.save()


def test_returning_member_logs_in_with_phone_and_code(community):
    from django.test import Client

    from tests.members.conftest import code_for_latest

    phone = next_phone()
    member = join(community, phone=phone)
    client = Client()
    client.post("/login/phone/", {"step": "phone", "phone": next_phone()})  # unknown: no code
    assert ConsoleSms.objects.count() == 1  # only the join code
    later = timezone.now() + timedelta(minutes=2)
    sms_code_request(phone=phone, ip=None, purpose="login", now=later)
    wrong = client.post("/login/phone/", {"step": "code", "phone": phone, "code": "x"})
    assert b'data-testid="error"' in wrong.content
    sms_code_request(phone=phone, ip=None, purpose="login", now=later + timedelta(minutes=2))
    done = client.post("/login/phone/", {"step": "code", "phone": phone, "code": code_for_latest()})
    assert done.status_code == 302
    assert int(client.session["_auth_user_id"]) == member.user_id
