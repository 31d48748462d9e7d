"""Officials: argon2id passwords, grants, authorisation by role and jurisdiction."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from tests.official_actions import FAST_HASH
from tests.small_tree import make_tree
from voting.errors import AuthenticationFailed
from voting.errors import DuplicateGrant
from voting.errors import DuplicateOfficial
from voting.errors import InvalidOfficial
from voting.errors import LoginRequired
from voting.errors import RoleRequired
from voting.errors import TooManyAttempts
from voting.errors import UnitNotFound
from voting.models.jurisdictions import Jurisdiction
from voting.models.officials import Official
from voting.models.officials import OfficialSession
from voting.models.officials import RoleGrant
from voting.services import officials
from voting.services import throttle

PASSWORD = "a long enough passphrase"


@pytest.fixture()
def tree(db_session: so.Session) -> dict[str, Jurisdiction]:
    return make_tree(db_session)


def new(session: so.Session, name: str = "alice", *grants: str) -> Official:
    official = officials.create_official(session, name, PASSWORD, limits=FAST_HASH)
    for grant in grants:
        role, _, unit = grant.partition(":")
        officials.grant_role(session, official, role, unit or None)
    return official


# -- passwords ---------------------------------------------------------------------


def test_password_hash_is_argon2id_and_verifies() -> None:
    stored = officials.hash_password(PASSWORD, limits=FAST_HASH)
    assert stored.startswith("$argon2id$v=19$")
    assert PASSWORD not in stored
    officials.verify_password(stored, PASSWORD)
    assert officials.hash_password(PASSWORD, limits=FAST_HASH) != stored  # fresh salt


def test_default_cost_is_libsodium_interactive() -> None:
    stored = officials.hash_password(PASSWORD)
    assert "$m=65536,t=2,p=1$" in stored


@pytest.mark.parametrize(
    "attempt", ["a long enough passphrasE", "a long enough passphrase ", "", "x" * 2000]
)
def test_wrong_password_is_refused(attempt: str) -> None:
    stored = officials.hash_password(PASSWORD, limits=FAST_HASH)
    with pytest.raises(AuthenticationFailed, match="wrong user name or password"):
        officials.verify_password(stored, attempt)


def test_corrupt_hash_refuses_rather_than_crashes() -> None:
    with pytest.raises(AuthenticationFailed):
        officials.verify_password("$argon2id$v=19$garbage", PASSWORD)


@pytest.mark.parametrize("password", ["short", "x" * 11, "é" * 600])
def test_password_rules(password: str) -> None:
    with pytest.raises(InvalidOfficial, match="password"):
        officials.hash_password(password, limits=FAST_HASH)


# -- accounts and grants --------------------------------------------------------------


def test_create_normalises_and_refuses_duplicates(db_session: so.Session) -> None:
    official = new(db_session, " Alice ")
    assert official.username == "alice"
    assert "alice" in repr(official) and "argon" not in repr(official)
    with pytest.raises(DuplicateOfficial):
        officials.create_official(db_session, "ALICE", PASSWORD, limits=FAST_HASH)


@pytest.mark.parametrize("name", ["a", "-alice", "al ice", "alice@example", "ä" * 3, "x" * 65])
def test_bad_usernames(db_session: so.Session, name: str) -> None:
    with pytest.raises(InvalidOfficial, match="user name"):
        officials.create_official(db_session, name, PASSWORD, limits=FAST_HASH)


def test_grants_need_the_right_scope(db_session: so.Session, tree: dict[str, Jurisdiction]) -> None:
    official = new(db_session)
    with pytest.raises(InvalidOfficial, match="held for a jurisdiction"):
        officials.grant_role(db_session, official, "returning_officer")
    with pytest.raises(InvalidOfficial, match="global"):
        officials.grant_role(db_session, official, "registrar", "canton:ZH")
    with pytest.raises(InvalidOfficial, match="unknown role"):
        officials.grant_role(db_session, official, "king")
    with pytest.raises(UnitNotFound):
        officials.grant_role(db_session, official, "clerk", "canton:XX")
    officials.grant_role(db_session, official, "clerk", "quarter:10261")
    officials.grant_role(db_session, official, "clerk", "quarter:10262")
    officials.grant_role(db_session, official, "trustee")
    with pytest.raises(DuplicateGrant):
        officials.grant_role(db_session, official, "trustee")
    with pytest.raises(DuplicateGrant):
        officials.grant_role(db_session, official, "clerk", "quarter:10261")
    assert [g.describe() for g in official.grants] == [
        "clerk for quarter:10261",
        "clerk for quarter:10262",
        "trustee",
    ]
    officials.revoke_role(db_session, official, "clerk", "quarter:10261")
    with pytest.raises(InvalidOfficial, match="does not hold"):
        officials.revoke_role(db_session, official, "clerk", "quarter:10261")


def test_database_refuses_duplicate_global_grants(db_session: so.Session) -> None:
    # The partial unique indexes hold even if a caller bypasses the service.
    official = new(db_session, "alice", "registrar")
    now = dt.datetime.now(dt.UTC)
    db_session.add(RoleGrant(official_id=official.id, role="registrar", granted_at=now))
    with pytest.raises(sa.exc.IntegrityError):
        db_session.commit()
    db_session.rollback()
    db_session.add(RoleGrant(official_id=official.id, role="clerk", granted_at=now))
    with pytest.raises(sa.exc.IntegrityError):  # a clerk without a unit
        db_session.commit()


# -- authorisation ---------------------------------------------------------------------


def test_require_by_role_and_jurisdiction(
    db_session: so.Session, tree: dict[str, Jurisdiction]
) -> None:
    zh_officer = new(db_session, "zh", "returning_officer:canton:ZH")
    clerk = new(db_session, "clerk", "clerk:quarter:10261")
    registrar = new(db_session, "reg", "registrar")

    # the canton and every unit below it, via the ancestors
    for ref in ["canton:ZH", "district:112", "municipality:261", "quarter:10262"]:
        officials.require(zh_officer, "returning_officer", tree[ref])
    officials.require(zh_officer, "returning_officer")  # holds it somewhere
    for ref in ["nation:CH", "canton:BE", "municipality:351"]:
        with pytest.raises(RoleRequired, match=f"returning_officer for {ref}"):
            officials.require(zh_officer, "returning_officer", tree[ref])
    with pytest.raises(RoleRequired, match="holds: returning_officer for canton:ZH"):
        officials.require(zh_officer, "clerk", tree["quarter:10261"])

    officials.require(clerk, "clerk", tree["quarter:10261"])
    with pytest.raises(RoleRequired):  # a sibling unit
        officials.require(clerk, "clerk", tree["quarter:10262"])
    with pytest.raises(RoleRequired):  # a clerk of a quarter is not one of its town
        officials.require(clerk, "clerk", tree["municipality:261"])

    officials.require(registrar, "registrar", tree["canton:BE"])  # global roles act everywhere
    officials.require(registrar, ("returning_officer", "registrar"), tree["canton:BE"])
    with pytest.raises(RoleRequired, match="holds: registrar"):
        officials.require(registrar, "administrator")


def test_nation_officer_acts_everywhere(
    db_session: so.Session, tree: dict[str, Jurisdiction]
) -> None:
    officer = new(db_session, "ch", "returning_officer:nation:CH")
    for unit in tree.values():
        officials.require(officer, "returning_officer", unit)


def test_require_refuses_anonymous_disabled_and_unknown_roles(
    db_session: so.Session, tree: dict[str, Jurisdiction]
) -> None:
    admin = new(db_session, "admin", "administrator")
    with pytest.raises(LoginRequired):
        officials.require(None, "administrator")
    with pytest.raises(ValueError, match="unknown roles"):
        officials.require(admin, "admin")
    officials.set_active(db_session, admin, False)
    with pytest.raises(RoleRequired, match="disabled"):
        officials.require(admin, "administrator")


def test_administrator_is_not_every_role(db_session: so.Session) -> None:
    # Separation of duties: an administrator manages accounts, nothing else.
    admin = new(db_session, "admin", "administrator")
    for role in ("registrar", "trustee", "returning_officer", "clerk"):
        with pytest.raises(RoleRequired):
            officials.require(admin, role)


# -- authentication, sessions, rate limits -------------------------------------------------


def test_authenticate(db_session: so.Session) -> None:
    official = new(db_session)
    assert officials.authenticate(db_session, "ALICE", PASSWORD) is official
    for name, password in [("alice", "wrong password!"), ("bob", PASSWORD), ("!", PASSWORD)]:
        with pytest.raises(AuthenticationFailed, match=r"^wrong user name or password$"):
            officials.authenticate(db_session, name, password)
    officials.set_active(db_session, official, False)
    with pytest.raises(AuthenticationFailed):
        officials.authenticate(db_session, "alice", PASSWORD)


def test_sessions_expire_end_and_die_with_the_password(db_session: so.Session) -> None:
    official = new(db_session)
    now = dt.datetime(2026, 3, 8, 8, 0, tzinfo=dt.UTC)
    token = officials.start_session(db_session, official, lifetime=dt.timedelta(hours=1), now=now)
    stored = db_session.scalars(sa.select(OfficialSession.id)).all()
    assert token not in stored and len(stored) == 1  # only a hash is kept
    assert officials.resume_session(db_session, token, now=now) is official
    with pytest.raises(LoginRequired):
        officials.resume_session(db_session, token, now=now + dt.timedelta(hours=1))
    with pytest.raises(LoginRequired):
        officials.resume_session(db_session, "forged", now=now)
    officials.end_session(db_session, token)
    with pytest.raises(LoginRequired):
        officials.resume_session(db_session, token, now=now)
    token = officials.start_session(db_session, official, lifetime=dt.timedelta(hours=1), now=now)
    officials.set_password(db_session, official, "another long passphrase", limits=FAST_HASH)
    with pytest.raises(LoginRequired):
        officials.resume_session(db_session, token, now=now)


def test_log_in_rate_limit_per_account(db_session: so.Session) -> None:
    new(db_session)
    policy = officials.LoginPolicy(per_account=throttle.Limit(3, 600))
    now = dt.datetime(2026, 3, 8, 8, 0, tzinfo=dt.UTC)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            officials.log_in(
                db_session,
                "alice",
                "wrong password!",
                address_key="login-ip:a",
                policy=policy,
                now=now,
            )
    # The fourth attempt is refused before the password is looked at, even the right one.
    with pytest.raises(TooManyAttempts, match="try again in 10 minutes") as refused:
        officials.log_in(
            db_session, "alice", PASSWORD, address_key="login-ip:b", policy=policy, now=now
        )
    assert refused.value.retry_after == 600
    later = now + dt.timedelta(seconds=601)
    official, token = officials.log_in(
        db_session, "alice", PASSWORD, address_key="login-ip:b", policy=policy, now=later
    )
    assert officials.resume_session(db_session, token, now=later) is official


def test_log_in_rate_limit_per_address_spans_accounts(db_session: so.Session) -> None:
    new(db_session)
    policy = officials.LoginPolicy(per_address=throttle.Limit(4, 900))
    now = dt.datetime(2026, 3, 8, 8, 0, tzinfo=dt.UTC)
    for name in ["bob", "carol", "dave", "erin"]:
        with pytest.raises(AuthenticationFailed):
            officials.log_in(
                db_session,
                name,
                PASSWORD,
                address_key="login-ip:198.51.100.7",
                policy=policy,
                now=now,
            )
    with pytest.raises(TooManyAttempts):
        officials.log_in(
            db_session,
            "alice",
            PASSWORD,
            address_key="login-ip:198.51.100.7",
            policy=policy,
            now=now,
        )
    officials.log_in(
        db_session, "alice", PASSWORD, address_key="login-ip:198.51.100.8", policy=policy, now=now
    )


def test_successful_logins_do_not_use_up_the_address_limit(db_session: so.Session) -> None:
    new(db_session)
    policy = officials.LoginPolicy(per_address=throttle.Limit(2, 900))
    now = dt.datetime(2026, 3, 8, 8, 0, tzinfo=dt.UTC)
    for _ in range(5):  # an office behind one address, logging in all day
        officials.log_in(
            db_session, "alice", PASSWORD, address_key="login-ip:office", policy=policy, now=now
        )


def test_throttle_counts_atomically_and_resets_after_the_window(db_session: so.Session) -> None:
    limit = throttle.Limit(2, 60)
    assert throttle.hit(db_session, "k", limit, what="tries", now=1000) == 1
    assert throttle.hit(db_session, "k", limit, what="tries", now=1059) == 2
    with pytest.raises(TooManyAttempts, match=r"try again in 1 minute$"):
        throttle.hit(db_session, "k", limit, what="tries", now=1059)
    assert throttle.hit(db_session, "k", limit, what="tries", now=1060) == 1  # a new window
    throttle.release(db_session, "k")
    throttle.release(db_session, "k")  # never below zero
    assert throttle.hit(db_session, "k", limit, what="tries", now=1061) == 1
    assert throttle.purge(db_session, older_than=60, now=2000) == 1
