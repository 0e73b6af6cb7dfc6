"""Who may do what: roles, secrecy clearance and passwords.

Roles, each with what it adds:
- operator: feeds batches; sees their own batches and the rescan list;
- reviewer: reviews pages (never of a batch they fed themselves: four eyes);
- archivist: edits metadata, approves folders, exports;
- admin: manages users.

Clearance is the highest secrecy level (độ mật, Law 29/2018/QH14 art. 8) a user may see:
none, Mật, Tối mật or Tuyệt mật. Folders and pages marked above a user's clearance do not
exist for that user.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile).
"""

from __future__ import annotations

import unicodedata
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from station.errors import BadArgumentError
from station.i18n import N_, _

Role = Literal["operator", "reviewer", "archivist", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
CLEARANCES = ("", "Mật", "Tối mật", "Tuyệt mật")  # in rising order; "" is none
ROLE_NAMES: dict[str, str] = {  # as people read them; translate with station.i18n._
    "operator": N_("scanning operator"),
    "reviewer": N_("reviewer"),
    "archivist": N_("archivist"),
    "admin": N_("administrator"),
}
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()


def check_role(role: str) -> Role:
    for known in ROLES:
        if role == known:
            return known
    raise BadArgumentError(
        _("Unknown role %(role)r: use one of %(roles)s", role=role, roles=", ".join(ROLES))
    )


def check_clearance(clearance: str) -> str:
    level = unicodedata.normalize("NFC", clearance.strip())
    for known in CLEARANCES:
        if level.casefold() == known.casefold():
            return known
    named = ", ".join(repr(c) for c in CLEARANCES[1:])
    raise BadArgumentError(
        _(
            "Unknown clearance %(clearance)r: use %(named)s (or none)",
            clearance=clearance,
            named=named,
        )
    )


def may_see(clearance: str, secrecy: str) -> bool:
    """Whether a user with `clearance` may see something marked `secrecy`."""
    return CLEARANCES.index(check_clearance(clearance)) >= CLEARANCES.index(
        check_clearance(secrecy)
    )


def higher_level(first: str, second: str) -> str:
    """The more secret of two markings: a document is at least as secret as its folder."""
    rank = {level: n for n, level in enumerate(CLEARANCES)}
    return first if rank.get(first, 0) >= rank.get(second, 0) else second


def visible_levels(clearance: str) -> tuple[str, ...]:
    """The secrecy markings a user with `clearance` may see, for filtering in queries."""
    return CLEARANCES[: CLEARANCES.index(check_clearance(clearance)) + 1]


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadArgumentError(
            _(
                "The password is too short: use at least %(min_password_length)s characters",
                min_password_length=MIN_PASSWORD_LENGTH,
            )
        )
    return _hasher.hash(unicodedata.normalize("NFC", password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, unicodedata.normalize("NFC", password))
    except (VerificationError, InvalidHashError):
        return False
