"""Officials: accounts, argon2id passwords, role grants, authorisation, login sessions.

Passwords are hashed with argon2id (RFC 9106) through libsodium's
``crypto_pwhash_str`` (PyNaCl ``nacl.pwhash.argon2id``); verification is
libsodium's constant-time check. Passwords are never logged or echoed.

Authorisation (docs/security.md): an official *acts for* jurisdiction X in a
role when it holds a global grant of that role, or a grant of that role on X
or on any ancestor of X. :func:`require` raises :class:`RoleRequired`;
nothing here returns a bare bool for a security decision.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import nacl.exceptions
import sqlalchemy as sa
from nacl.pwhash import argon2id

from voting.errors import AuthenticationFailed
from voting.errors import DuplicateGrant
from voting.errors import DuplicateOfficial
from voting.errors import InvalidOfficial
from voting.errors import LoginRequired
from voting.errors import OfficialNotFound
from voting.errors import RoleRequired
from voting.models.jurisdictions import Jurisdiction
from voting.models.officials import JURISDICTION_ROLES
from voting.models.officials import ROLES
from voting.models.officials import Official
from voting.models.officials import OfficialSession
from voting.models.officials import RoleGrant
from voting.models.session_types import DbSession
from voting.services import throttle
from voting.services.jurisdictions import get_unit

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MIN_PASSWORD = 12
MAX_PASSWORD_BYTES = 1024


@dataclass(frozen=True, slots=True)
class HashLimits:
    """argon2id cost: passes (``opslimit``) and memory in bytes (``memlimit``)."""

    opslimit: int
    memlimit: int


INTERACTIVE = HashLimits(argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE)
"""libsodium's interactive level: 2 passes over 64 MiB (about 0.16 s here)."""


SESSION_LIFETIME = dt.timedelta(hours=8)
ACCOUNT_LIMIT = throttle.Limit(attempts=5, window=15 * 60)
"""5 login attempts per account per 15 minutes."""
ADDRESS_LIMIT = throttle.Limit(attempts=30, window=15 * 60)
"""30 failed login attempts per client address per 15 minutes."""


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """Login rate limits (per account and per client address) and session lifetime."""

    per_account: throttle.Limit = ACCOUNT_LIMIT
    per_address: throttle.Limit = ADDRESS_LIMIT
    session_lifetime: dt.timedelta = SESSION_LIFETIME


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _as_utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; they were stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# -- passwords -----------------------------------------------------------------


def hash_password(password: str, *, limits: HashLimits = INTERACTIVE) -> str:
    """The argon2id PHC string of ``password``.

    Raises:
        InvalidOfficial: the password is too short or too long.
    """
    check_password_rules(password)
    return argon2id.str(
        password.encode(), opslimit=limits.opslimit, memlimit=limits.memlimit
    ).decode("ascii")


def verify_password(password_hash: str, password: str) -> None:
    """Check ``password`` against its stored hash in constant time.

    Raises:
        AuthenticationFailed: it does not match (or the hash is unusable).
    """
    secret = password.encode()
    if len(secret) > MAX_PASSWORD_BYTES:  # no stored password is this long
        raise AuthenticationFailed("wrong user name or password")
    try:
        argon2id.verify(password_hash.encode("ascii"), secret)
    except (nacl.exceptions.InvalidkeyError, nacl.exceptions.RuntimeError, UnicodeError) as exc:
        raise AuthenticationFailed("wrong user name or password") from exc


def check_password_rules(password: str) -> None:
    """NIST SP 800-63B style: a length floor and ceiling, a blocklist, no composition rules.

    The blocklist (section 5.1.1.2): common and breached passwords and this
    service's own words (``voting/data/common-passwords.txt``), also with
    digits or symbols around them (``password1234``), and repetitive or
    sequential characters (``aaaaaaaaaaaa``, ``abcabcabcabc``, ``123456789012``,
    ``qwertyuiopas``).

    Raises:
        InvalidOfficial: too short, too long, common, repetitive or sequential.
    """
    if len(password) < MIN_PASSWORD:
        raise InvalidOfficial(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise InvalidOfficial(f"a password may have at most {MAX_PASSWORD_BYTES} bytes")
    lowered = password.lower()
    stem = lowered.strip(_FILLER)
    if lowered in _common_passwords() or stem in _common_passwords():
        raise InvalidOfficial(
            "this password is among the most common ones (or one of them with digits "
            "added): choose another, for example a few unrelated words"
        )
    if _repetitive(lowered) or _sequential(lowered):
        raise InvalidOfficial(
            "this password repeats or follows a sequence of characters: choose another, "
            "for example a few unrelated words"
        )


_FILLER = "0123456789 !@#$%^&*()-_=+.,;:?/\\|'\"`~[]{}<>"
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)


@functools.cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("voting.data").joinpath("common-passwords.txt").read_text("utf-8")
    lines = (line.strip() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _repetitive(text: str) -> bool:
    """A unit of at most four characters repeated (``aaaa...``, ``abab...``, ``abcabc...``)."""
    return (
        any(len(text) % n == 0 and text == text[:n] * (len(text) // n) for n in range(1, 5))
        or len(set(text)) <= 2
    )


def _sequential(text: str) -> bool:
    """A run along the alphabet, the digits or a keyboard row, forwards or backwards."""
    for sequence in _SEQUENCES:
        cycle = sequence * (len(text) // len(sequence) + 2)
        if text in cycle or text[::-1] in cycle:
            return True
    return False


@functools.cache
def _decoy_hash() -> str:
    """A hash to verify against for unknown users, so timing does not reveal them."""
    return hash_password(secrets.token_urlsafe(24))


# -- accounts and grants --------------------------------------------------------


def normalise_username(username: str) -> str:
    """Lower-case and check a user name (2-64 of ``a-z 0-9 . _ -``).

    Raises:
        InvalidOfficial: the name does not fit the pattern.
    """
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise InvalidOfficial(
            f"user name {username!r} must be 2-64 characters of a-z, 0-9, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def create_official(
    session: DbSession,
    username: str,
    password: str,
    *,
    display_name: str | None = None,
    limits: HashLimits = INTERACTIVE,
    now: dt.datetime | None = None,
) -> Official:
    """Create an account (with no roles yet) and commit.

    Raises:
        InvalidOfficial: bad user name or password.
        DuplicateOfficial: the user name is taken.
    """
    name = normalise_username(username)
    password_hash = hash_password(password, limits=limits)
    if session.scalar(sa.select(Official.id).where(Official.username == name)) is not None:
        raise DuplicateOfficial(f"an official named {name!r} already exists")
    official = Official(
        username=name,
        password_hash=password_hash,
        display_name=display_name,
        active=True,
        created_at=now or _utcnow(),
    )
    session.add(official)
    session.commit()
    return official


def get_official(session: DbSession, username: str) -> Official:
    """The official with this user name.

    Raises:
        OfficialNotFound: there is none.
    """
    official = session.scalar(
        sa.select(Official).where(Official.username == username.strip().lower())
    )
    if official is None:
        raise OfficialNotFound(f"no official named {username!r}")
    return official


def list_officials(session: DbSession) -> list[Official]:
    return list(session.scalars(sa.select(Official).order_by(Official.username)))


def set_password(
    session: DbSession, official: Official, password: str, *, limits: HashLimits = INTERACTIVE
) -> None:
    """Replace the password, end every session of the account, and commit."""
    official.password_hash = hash_password(password, limits=limits)
    session.execute(sa.delete(OfficialSession).where(OfficialSession.official_id == official.id))
    session.commit()


def set_active(session: DbSession, official: Official, active: bool) -> None:
    """Enable or disable an account; disabling ends its sessions. Commits."""
    official.active = active
    if not active:
        session.execute(
            sa.delete(OfficialSession).where(OfficialSession.official_id == official.id)
        )
    session.commit()


def grant_role(
    session: DbSession,
    official: Official,
    role: str,
    jurisdiction: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> RoleGrant:
    """Grant ``role`` (for the unit ``level:code`` when the role needs one) and commit.

    Raises:
        InvalidOfficial: unknown role, or a jurisdiction missing or superfluous.
        UnitNotFound: no such jurisdiction.
        DuplicateGrant: the official already holds exactly this grant.
    """
    unit = _grant_unit(session, role, jurisdiction)
    unit_id = None if unit is None else unit.id
    for existing in official.grants:
        if existing.role == role and existing.jurisdiction_id == unit_id:
            raise DuplicateGrant(f"{official.username!r} already holds {existing.describe()}")
    grant = RoleGrant(role=role, jurisdiction=unit, granted_at=now or _utcnow())
    official.grants.append(grant)
    session.commit()
    return grant


def revoke_role(
    session: DbSession, official: Official, role: str, jurisdiction: str | None = None
) -> None:
    """Remove one grant and commit.

    Raises:
        InvalidOfficial: the official does not hold it.
    """
    unit = _grant_unit(session, role, jurisdiction)
    unit_id = None if unit is None else unit.id
    for existing in official.grants:
        if existing.role == role and existing.jurisdiction_id == unit_id:
            official.grants.remove(existing)
            session.commit()
            return
    wanted = role if unit is None else f"{role} for {unit.ref}"
    raise InvalidOfficial(f"{official.username!r} does not hold {wanted}")


def _grant_unit(session: DbSession, role: str, jurisdiction: str | None) -> Jurisdiction | None:
    if role not in ROLES:
        raise InvalidOfficial(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if role in JURISDICTION_ROLES and not jurisdiction:
        raise InvalidOfficial(f"the role {role} is held for a jurisdiction: give level:code")
    if role not in JURISDICTION_ROLES and jurisdiction:
        raise InvalidOfficial(f"the role {role} is global and takes no jurisdiction")
    return get_unit(session, jurisdiction) if jurisdiction else None


# -- authorisation ----------------------------------------------------------------


def require(
    official: Official | None,
    role: str | Iterable[str],
    jurisdiction: Jurisdiction | None = None,
) -> None:
    """Check that ``official`` may act in ``role`` (one of several) for ``jurisdiction``.

    Without a jurisdiction, any grant of the role suffices. With one, a global
    grant or a grant on the jurisdiction or one of its ancestors is needed.

    Raises:
        LoginRequired: ``official`` is None.
        RoleRequired: the official is disabled or holds no such grant.
    """
    roles = (role,) if isinstance(role, str) else tuple(role)
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValueError(f"unknown roles {unknown} (roles are {ROLES})")
    if official is None:
        raise LoginRequired("please log in as an official")
    if not official.active:
        raise RoleRequired(f"the account {official.username!r} is disabled")
    chain = None if jurisdiction is None else _ancestor_ids(jurisdiction)
    for grant in official.grants:
        if grant.role not in roles:
            continue
        if chain is None or grant.jurisdiction_id is None or grant.jurisdiction_id in chain:
            return
    held = ", ".join(g.describe() for g in official.grants) or "no roles"
    needed = " or ".join(roles) + ("" if jurisdiction is None else f" for {jurisdiction.ref}")
    raise RoleRequired(f"{official.username!r} is not {needed} (holds: {held})")


def _ancestor_ids(unit: Jurisdiction) -> set[int]:
    ids: set[int] = set()
    node: Jurisdiction | None = unit
    while node is not None:
        if node.id in ids:  # a corrupt tree must not loop forever
            break
        ids.add(node.id)
        node = node.parent
    return ids


# -- login and sessions -------------------------------------------------------------


def authenticate(session: DbSession, username: str, password: str) -> Official:
    """The active official with this user name and password.

    Unknown and disabled accounts cost the same password check as known ones.

    Raises:
        AuthenticationFailed: wrong user name or password, or a disabled account.
    """
    try:
        name = normalise_username(username)
    except InvalidOfficial:
        name = ""
    official = session.scalar(sa.select(Official).where(Official.username == name))
    if official is None:
        verify_password(_decoy_hash(), password)  # always raises
        raise AuthenticationFailed("wrong user name or password")  # pragma: no cover
    verify_password(official.password_hash, password)
    if not official.active:
        raise AuthenticationFailed("wrong user name or password")
    return official


def log_in(
    session: DbSession,
    username: str,
    password: str,
    *,
    address_key: str,
    policy: LoginPolicy | None = None,
    now: dt.datetime | None = None,
) -> tuple[Official, str]:
    """Rate-limit, authenticate and open a session; return the official and its token.

    The token goes into the (signed, HttpOnly) session cookie; the database
    keeps only its SHA-256. ``address_key`` is the rate-limit key of the
    client's address: the web view passes a keyed hash of it
    (:func:`voting.views.citizen_limits.client_key`), so that the counters
    table never holds a client's address.

    Raises:
        TooManyAttempts: the account or the address is over its limit (the
            password was not checked).
        AuthenticationFailed: wrong user name or password.
    """
    policy = policy or LoginPolicy()
    moment = now or _utcnow()
    seconds = int(moment.timestamp())
    account_key = account_throttle_key(username)
    throttle.hit(session, address_key, policy.per_address, what="login attempts", now=seconds)
    throttle.hit(session, account_key, policy.per_account, what="login attempts", now=seconds)
    official = authenticate(session, username, password)
    throttle.clear(session, account_key)
    throttle.release(session, address_key)
    window = max(policy.per_account.window, policy.per_address.window)
    throttle.purge(session, older_than=window, now=seconds)
    return official, start_session(session, official, lifetime=policy.session_lifetime, now=moment)


def account_throttle_key(username: str) -> str:
    """The rate-limit key of login attempts on one account."""
    return f"login-user:{username.strip().lower()[:128]}"


def start_session(
    session: DbSession, official: Official, *, lifetime: dt.timedelta, now: dt.datetime
) -> str:
    """Open a login session, drop the official's expired ones, commit; return the token."""
    token = secrets.token_urlsafe(32)
    session.execute(
        sa.delete(OfficialSession).where(
            OfficialSession.official_id == official.id, OfficialSession.expires_at <= now
        )
    )
    session.add(
        OfficialSession(
            id=_token_id(token), official_id=official.id, created_at=now, expires_at=now + lifetime
        )
    )
    session.commit()
    return token


def resume_session(session: DbSession, token: str, *, now: dt.datetime | None = None) -> Official:
    """The official of a live session.

    Raises:
        LoginRequired: unknown token, expired session, or disabled account.
    """
    row = session.get(OfficialSession, _token_id(token))
    if row is None or _as_utc(row.expires_at) <= (now or _utcnow()) or not row.official.active:
        raise LoginRequired("your session has ended; please log in again")
    return row.official


def end_session(session: DbSession, token: str) -> None:
    """Log out: delete the session row (if any) and commit."""
    session.execute(sa.delete(OfficialSession).where(OfficialSession.id == _token_id(token)))
    session.commit()


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
