"""People: admins, editors and translators (one model), their languages, tokens and passwords.

Tokens and passwords are stored only as slow salted hashes (argon2id). A token is
``ts_<id>_<secret>``: the id finds the row, the secret is verified against its hash.

Creating a user is not changing one: :func:`create_user` refuses a name that exists (active
or not), :func:`edit_user` changes role, languages, active flag or password, each only when
asked. A new password, a new role or deactivation signs the user out of every web session
(:func:`end_sessions`), and the last active admin can be neither demoted nor deactivated.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, object_session

from sync.config import Settings
from sync.db.models import User, WebSession, utcnow
from sync.errors import ConflictError, InputError, NotFound, PermissionDenied
from sync.i18n import nt_, t_
from sync.status import iso

ROLES = ("admin", "editor", "translator")
DIGESTS = ("off", "daily", "immediate")  # how often a user gets mail (sync.notify)
UI_LANGS = ("en", "tr", "ru")
EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD = 8
_hasher = PasswordHasher()


class UserExists(ConflictError):
    """A user of that name exists already (perhaps deactivated): change them instead."""


class LastAdmin(ConflictError):
    """This is the last active admin: make another user admin first."""


def role_text(role: str) -> str:
    """A role as a message names it: the role itself in English, its name in the reader's
    language on a page."""
    return {"admin": t_("admin"), "editor": t_("editor"), "translator": t_("translator")}.get(
        role, role
    )


def check_langs(settings: Settings, langs: Sequence[str]) -> list[str]:
    bad = [lang for lang in langs if lang not in settings.languages]
    if bad:
        raise InputError(
            t_(
                "language %(langs)s is not configured (TRANSYNC_LANGUAGES=%(configured)s)",
                langs=", ".join(bad),
                configured=",".join(settings.languages),
            )
        )
    return list(dict.fromkeys(langs))


def find_user(session: Session, name: str) -> User | None:
    return session.execute(select(User).where(User.name == name)).scalar_one_or_none()


def get_user(session: Session, name: str) -> User:
    user = find_user(session, name)
    if user is None or not user.active:
        raise NotFound(
            t_(
                "no translator or user named %(name)s",
                name=repr(name),
                cli=f"add one with `transync translators add {name} --langs tr`",
            ),
            user=name,
        )
    return user


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise InputError(
            t_(
                "user name %(name)s: use 1-64 letters, digits, '.', '_' or '-', starting with a "
                "letter or digit",
                name=repr(name),
            )
        )
    return name


def check_email(email: str) -> str | None:
    """An address, or None for "no mail" (an empty string)."""
    email = email.strip()
    if not email:
        return None
    if len(email) > 320 or not EMAIL.match(email):
        raise InputError(f"e-mail address {email!r}: write it like name@example.org")
    return email


def check_digest(digest: str) -> str:
    if digest not in DIGESTS:
        raise InputError(f"digest {digest!r}: use one of {', '.join(DIGESTS)}")
    return digest


def check_ui_lang(lang: str) -> str | None:
    if not lang:
        return None
    if lang not in UI_LANGS:
        raise InputError(f"interface language {lang!r}: use one of {', '.join(UI_LANGS)}")
    return lang


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(
            t_("role %(role)s: use one of %(roles)s", role=repr(role), roles=", ".join(ROLES))
        )
    return role


def add_user(
    session: Session,
    settings: Settings,
    name: str,
    *,
    role: str | None = None,
    langs: Sequence[str] = (),
    with_token: bool = False,
) -> tuple[User, str | None]:
    """Create a user, or update an active one (`transync translators add`: a given role is
    set as is, None keeps the current role; languages are replaced when given). A
    deactivated user is not brought back this way (:func:`edit_user` does that, explicitly).
    Returns (user, one-time token)."""
    check_name(name)
    if role is not None:
        check_role(role)
    langs = check_langs(settings, langs)
    user = find_user(session, name)
    if user is None:
        user = User(
            name=name,
            role=role or "translator",
            langs=",".join(langs),
            created_at=utcnow(),
            active=True,
        )
        session.add(user)
    elif not user.active:
        raise UserExists(
            t_(
                "%(name)s exists but is deactivated",
                name=name,
                cli=f"an admin can bring them back with `transync users edit {name} --active`",
            ),
            user=name,
        )
    else:
        if role is not None and role != user.role:
            edit_user(session, settings, name, role=role)
        user.langs = ",".join(langs) if langs else user.langs
    session.flush()
    token = issue_token(user) if with_token else None
    return user, token


def create_user(
    session: Session,
    settings: Settings,
    name: str,
    *,
    role: str = "translator",
    langs: Sequence[str] = (),
    password: str | None = None,
    with_token: bool = False,
) -> tuple[User, str | None]:
    """A new user; a name that exists, active or not, is :class:`UserExists` (nothing is
    changed). Returns (user, one-time token when `with_token`)."""
    check_name(name)
    check_role(role)
    langs = check_langs(settings, langs)
    if password is not None:
        check_password_rules(password)
    if find_user(session, name) is not None:
        raise UserExists(
            t_(
                "a user named %(name)s exists already",
                name=repr(name),
                cli=f"change them with `transync users edit {name}` or PATCH /api/v1/users/{name}",
            ),
            user=name,
        )
    user = User(name=name, role=role, langs=",".join(langs), created_at=utcnow(), active=True)
    session.add(user)
    if password:
        set_password(user, password)
    session.flush()
    token = issue_token(user) if with_token else None
    return user, token


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to demote or deactivate `user` if no other active admin would be left. The
    active admins' rows are locked first (PostgreSQL), so two admins demoting each other at
    once cannot both succeed."""
    admins = (
        session.execute(
            select(User.id)
            .where(User.role == "admin", User.active.is_(True))
            .order_by(User.id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    if not set(admins) - {user.id}:
        raise LastAdmin(
            t_("%(name)s is the last active admin; make another user admin first", name=user.name),
            user=user.name,
        )


def edit_user(
    session: Session,
    settings: Settings,
    name: str,
    *,
    role: str | None = None,
    langs: Sequence[str] | None = None,
    active: bool | None = None,
    password: str | None = None,
    email: str | None = None,
    digest: str | None = None,
    ui_lang: str | None = None,
) -> User:
    """Change what is given (None leaves it as it is), all or nothing. A new role, a new
    password or deactivation ends every web session of the user; deactivation also ends
    their API token. ``email=""`` removes the address, ``ui_lang=""`` the language (the
    browser's is used). Returns the user."""
    if role is not None:
        check_role(role)
    new_email = check_email(email) if email is not None else None
    if digest is not None:
        check_digest(digest)
    new_ui_lang = check_ui_lang(ui_lang) if ui_lang is not None else None
    new_langs = check_langs(settings, langs) if langs is not None else None
    if password is not None:
        check_password_rules(password)
    user = find_user(session, name)
    if user is None:
        raise NotFound(t_("no user named %(name)s", name=repr(name)), user=name)
    was_admin = user.role == "admin" and user.active
    demoted = role is not None and role != "admin"
    if was_admin and (demoted or active is False):
        _keep_an_admin(session, user)
    signed_out = False
    if role is not None and role != user.role:
        user.role = role
        signed_out = True
    if new_langs is not None:
        user.langs = ",".join(new_langs)
    if email is not None:
        user.email = new_email
    if digest is not None:
        user.digest = digest
    if ui_lang is not None:
        user.ui_lang = new_ui_lang
    if active is not None and active != user.active:
        user.active = active
        if not active:
            user.token_hash, user.token_id = None, None
            signed_out = True
    if password is not None:
        set_password(user, password)  # ends the sessions itself
    elif signed_out:
        end_sessions(user)
    session.flush()
    return user


def end_sessions(user: User) -> int:
    """Sign the user out of every web session at once; how many there were."""
    session = object_session(user)
    if session is None or user.id is None:
        return 0
    result = session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


def deactivate_user(session: Session, name: str) -> User:
    """A user who leaves: every web session ends, the token stops working, no more logins;
    their history stays. The last active admin cannot be deactivated."""
    user = find_user(session, name)
    if user is None:
        raise NotFound(t_("no user named %(name)s", name=repr(name)), user=name)
    if user.role == "admin" and user.active:
        _keep_an_admin(session, user)
    user.active, user.token_hash, user.token_id = False, None, None
    end_sessions(user)
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


def check_password_rules(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(
            nt_(
                "a password needs at least %(n)d character",
                "a password needs at least %(n)d characters",
                MIN_PASSWORD,
                n=MIN_PASSWORD,
            )
        )
    return password


def set_password(user: User, password: str) -> None:
    """A new password (never a new role): every web session of the user ends."""
    check_password_rules(password)
    user.password_hash = _hasher.hash(password)
    end_sessions(user)


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
            t_(
                "%(name)s does not translate into %(lang)s (languages: %(langs)s)",
                name=user.name,
                lang=lang,
                langs=", ".join(user.languages) or t_("none"),
                cli=f"an admin can add it with `transync translators add {user.name} --langs "
                f"{','.join([*user.languages, lang])}`",
            ),
            user=user.name,
            lang=lang,
        )


def require_role(user: User, *roles: str) -> None:
    if user.role != "admin" and user.role not in roles:
        needs = role_text(roles[0]) if len(roles) == 1 else " or ".join(roles)
        raise PermissionDenied(
            t_("%(name)s is an editor; this needs %(role)s", name=user.name, role=needs)
            if user.role == "editor"
            else t_("%(name)s is a translator; this needs %(role)s", name=user.name, role=needs)
        )


def user_dict(user: User) -> dict[str, Any]:
    """Public fields only: never a hash or a token."""
    return {
        "name": user.name,
        "role": user.role,
        "langs": user.languages,
        "active": user.active,
        "created_at": iso(user.created_at),
        "email": user.email,
        "digest": user.digest or "daily",
    }


def list_users(session: Session, role: str | None = None) -> list[User]:
    q = select(User).order_by(User.name)
    if role:
        q = q.where(User.role == role)
    return list(session.execute(q).scalars())
