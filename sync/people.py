"""People: admins, editors and translators (one model), their languages, tokens and passwords.

Tokens and passwords are stored only as slow salted hashes (argon2id). A token is
``ts_<id>_<secret>``: the id finds the row, the secret is verified against its hash.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import User, utcnow
from sync.errors import InputError, NotFound, PermissionDenied
from sync.status import iso

ROLES = ("admin", "editor", "translator")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_hasher = PasswordHasher()


def check_langs(settings: Settings, langs: Sequence[str]) -> list[str]:
    bad = [lang for lang in langs if lang not in settings.languages]
    if bad:
        raise InputError(
            f"language {', '.join(bad)} is not configured "
            f"(TRANSYNC_LANGUAGES={','.join(settings.languages)})"
        )
    return list(dict.fromkeys(langs))


def find_user(session: Session, name: str) -> User | None:
    return session.execute(select(User).where(User.name == name)).scalar_one_or_none()


def get_user(session: Session, name: str) -> User:
    user = find_user(session, name)
    if user is None or not user.active:
        raise NotFound(
            f"no translator or user named {name!r}; add one with "
            f"`transync translators add {name} --langs tr`",
            user=name,
        )
    return user


def add_user(
    session: Session,
    settings: Settings,
    name: str,
    *,
    role: str | None = None,
    langs: Sequence[str] = (),
    with_token: bool = False,
) -> tuple[User, str | None]:
    """Create a user (or update an existing one: a given role is set as is, None keeps the
    current role; languages are replaced when given). Returns (user, one-time token)."""
    if not NAME.match(name):
        raise InputError(
            f"user name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    if role is not None and role not in ROLES:
        raise InputError(f"role {role!r}: use one of {', '.join(ROLES)}")
    langs = check_langs(settings, langs)
    user = find_user(session, name)
    if user is None:
        user = User(name=name, role=role or "translator", langs=",".join(langs),
                    created_at=utcnow(), active=True)
        session.add(user)
    else:
        user.role = role or user.role
        user.langs = ",".join(langs) if langs else user.langs
        user.active = True
    session.flush()
    token = issue_token(user) if with_token else None
    return user, token


def deactivate_user(session: Session, name: str) -> User:
    """A user who leaves: no more logins, the token stops working; their history stays."""
    user = find_user(session, name)
    if user is None:
        raise NotFound(f"no user named {name!r}", user=name)
    user.active, user.token_hash, user.token_id = False, None, None
    return user


def issue_token(user: User) -> str:
    secret = secrets.token_urlsafe(24)
    token_id = secrets.token_hex(6)
    user.token_id = token_id
    user.token_hash = _hasher.hash(secret)
    return f"ts_{token_id}_{secret}"


def user_for_token(session: Session, token: str) -> User | None:
    m = re.fullmatch(r"ts_([0-9a-f]{12})_([A-Za-z0-9_-]{20,64})", token or "")
    if not m:
        return None
    user = session.execute(select(User).where(User.token_id == m.group(1))).scalar_one_or_none()
    if user is None or not user.active or not user.token_hash:
        return None
    try:
        _hasher.verify(user.token_hash, m.group(2))
    except (VerificationError, InvalidHashError):
        return None
    return user


def set_password(user: User, password: str) -> None:
    if len(password) < 8:
        raise InputError("a password needs at least 8 characters")
    user.password_hash = _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    if user is None or not user.password_hash or not user.active:
        _hasher.hash(password)  # the same work either way: no timing hint that a user exists
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def require_lang(user: User, lang: str) -> None:
    if user.role in ("admin", "editor"):
        return
    if lang not in user.languages:
        raise PermissionDenied(
            f"{user.name} does not translate into {lang} (languages: "
            f"{', '.join(user.languages) or 'none'}); an admin can add it with "
            f"`transync translators add {user.name} --langs {','.join([*user.languages, lang])}`",
            user=user.name,
            lang=lang,
        )


def require_role(user: User, *roles: str) -> None:
    if user.role != "admin" and user.role not in roles:
        raise PermissionDenied(f"{user.name} is a {user.role}; this needs {' or '.join(roles)}")


def user_dict(user: User) -> dict[str, Any]:
    """Public fields only: never a hash or a token."""
    return {
        "name": user.name,
        "role": user.role,
        "langs": user.languages,
        "active": user.active,
        "created_at": iso(user.created_at),
    }


def list_users(session: Session, role: str | None = None) -> list[User]:
    q = select(User).order_by(User.name)
    if role:
        q = q.where(User.role == role)
    return list(session.execute(q).scalars())
