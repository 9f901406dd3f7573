"""`linli community create|list` and `linli demo`, run in-process against the test database."""

import os
import subprocess
import sys
import types
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from linli.communities.management.commands import demo
from linli.communities.models import (
    AuditEntry,
    Building,
    Community,
    CommunityRole,
    Neighbourhood,
    PolicyVersion,
)
from linli.members.models import Member

pytestmark = pytest.mark.django_db


def linli(*argv):
    """Run `linli <argv>` in-process; returns the exit code the console script would give.

    (`ManagementUtility.execute()` would close the test's database connection.)
    """
    try:
        call_command(*argv)
    except CommandError as error:
        print(error, file=sys.stderr)
        return error.returncode
    return 0


def test_the_console_script_exits_non_zero_on_a_duplicate_slug(tmp_path):
    """The real `linli` executable, on a throwaway SQLite database."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["LINLI_VAR_DIR"] = str(tmp_path)
    script = Path(sys.executable).with_name("linli")

    def run(*argv):
        return subprocess.run([str(script), *argv], env=env, capture_output=True, text=True)

    assert run("migrate", "communities", "--noinput").returncode == 0  # and its dependencies
    create = ("community", "create", "--preset", "A", "--name", "阳光", "--slug", "yg")
    assert run(*create).returncode == 0
    again = run(*create)
    assert again.returncode == 1
    assert "slug_taken" in again.stderr


def test_community_create_from_the_command_line(capsys):
    code = linli(
        "community", "create", "--preset", "B", "--name", "幸福社区", "--slug", "xf",
        "--lat", "31.2595", "--lng", "121.526", "--radius-m", "800",
    )  # fmt: skip
    assert code == 0
    community = Community.objects.get(slug="xf")
    assert (community.name, community.radius_m, str(community.centre_lat)) == (
        "幸福社区",
        800,
        "31.259500",
    )
    assert PolicyVersion.objects.get(community=community).preset == "B"
    assert "xf" in capsys.readouterr().out


def test_a_duplicate_slug_fails_with_a_clear_message_and_a_nonzero_exit(capsys):
    assert linli("community", "create", "--preset", "A", "--name", "一", "--slug", "dup") == 0
    capsys.readouterr()
    code = linli("community", "create", "--preset", "B", "--name", "二", "--slug", "dup")
    assert code == 1
    assert "slug_taken" in capsys.readouterr().err
    assert Community.objects.filter(slug="dup").get().name == "一"


def test_bad_input_fails_without_creating_anything(capsys):
    assert linli("community", "create", "--preset", "A", "--name", "x", "--slug", "Bad Slug") == 1
    assert "community_invalid" in capsys.readouterr().err
    assert linli("community", "create", "--preset", "A", "--name", "x", "--slug", "ok",
                 "--lat", "95") == 1  # fmt: skip
    assert Community.objects.count() == 0


def test_community_list(capsys):
    linli("community", "create", "--preset", "A", "--name", "阳光社区", "--slug", "yg")
    linli("community", "create", "--preset", "B", "--name", "幸福社区", "--slug", "xf")
    capsys.readouterr()
    assert linli("community", "list") == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3  # header + two
    assert out[1].split()[:3] == ["xf", "幸福社区", "v1"]
    assert out[2].split()[:3] == ["yg", "阳光社区", "v1"]


COUNTED = (Community, Neighbourhood, Building, CommunityRole, PolicyVersion, AuditEntry, Member)


def _counts():
    counts = {model.__name__: model.objects.count() for model in COUNTED}
    counts["User"] = get_user_model().objects.count()
    return counts


def test_demo_is_idempotent(capsys):
    assert linli("demo") == 0
    first = _counts()
    assert linli("demo") == 0
    assert _counts() == first
    assert first["Community"] == 2
    assert first["User"] == 6
    out = capsys.readouterr().out
    for login in ("operator", "auditor", "zhang", "li", "wang", "shop", "linli-demo"):
        assert login in out


def test_demo_people_and_places():
    call_command("demo")
    yangguang = Community.objects.get(slug="yangguang")
    xingfu = Community.objects.get(slug="xingfu")
    assert PolicyVersion.objects.get(community=yangguang).preset == "A"
    assert PolicyVersion.objects.get(community=xingfu).preset == "B"
    assert Neighbourhood.objects.filter(community=yangguang).count() >= 2
    assert Building.objects.filter(community=yangguang).count() >= 2

    users = get_user_model().objects
    for username in ("operator", "auditor", "zhang", "li", "wang", "shop"):
        assert users.get(username=username).check_password("linli-demo")

    def roles(username, community):
        return set(
            CommunityRole.objects.filter(user__username=username, community=community).values_list(
                "role", flat=True
            )
        )

    assert roles("operator", yangguang) == {"operator"}
    assert roles("operator", xingfu) == {"operator"}
    assert roles("auditor", yangguang) == {"auditor"}
    assert roles("shop", yangguang) == {"merchant_owner", "member"}
    assert roles("zhang", yangguang) == {"member"}

    zhang = Member.objects.get(user__username="zhang")
    assert zhang.community == yangguang
    assert zhang.birth_date.year == 1950
    assert zhang.prefers_elderly_mode is None  # follows the default: on, being 60+
    assert zhang.age_years(today=date.today()) >= 60
    assert Member.objects.get(user__username="li").age_years(today=date.today()) < 60


def test_demo_calls_the_ledger_hook_once_per_community(monkeypatch):
    calls = []
    fake = types.ModuleType("tests_fake_ledger_demo")
    fake.load_demo_ledger = lambda *, community: calls.append(community.slug)
    fake.__spec__ = types.SimpleNamespace(name="tests_fake_ledger_demo")
    monkeypatch.setitem(sys.modules, "tests_fake_ledger_demo", fake)
    monkeypatch.setattr(
        demo, "DEMO_HOOKS", ("tests_fake_ledger_demo:load_demo_ledger", "no_such_module:f")
    )
    call_command("demo")
    assert calls == ["yangguang", "xingfu"]
