"""Users of the review app and their log-in sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from station.errors import BadArgumentError
from station.i18n import _
from station.store.base import StoreBase
from station.store.models import Event, LoginSession, User, utcnow


class UserQueries(StoreBase):
    """Users, their sessions and log-in attempts."""

    # --- users ---

    def add_user(self, username: str, *, role: str, clearance: str, password_hash: str) -> User:
        with self.session() as s:
            if s.exec(select(User).where(User.username == username)).first() is not None:
                raise BadArgumentError(_("A user named %(name)r already exists", name=username))
            user = User(
                username=username, role=role, clearance=clearance, password_hash=password_hash
            )
            s.add(user)
            s.add(
                Event(
                    stage="users",
                    outcome="ok",
                    detail={"action": "added", "username": username, "role": role,
                            "clearance": clearance},
                )
            )  # fmt: skip
            s.flush()
            return user

    def get_user(self, username: str) -> User | None:
        with self.session() as s:
            return s.exec(select(User).where(User.username == username)).first()

    def list_users(self) -> list[User]:
        with self.session() as s:
            return list(s.exec(select(User).order_by(col(User.username))))

    def set_user_disabled(self, username: str, disabled: bool) -> None:
        action = "disabled" if disabled else "enabled"
        self._change_user(username, {"disabled": disabled}, {"action": action})

    def set_user_language(self, username: str, language: str) -> None:
        """The user's interface language: en, vi, or "" to follow the browser."""
        self._change_user(
            username, {"language": language}, {"action": "language", "language": language}
        )

    def _change_user(
        self, username: str, changes: dict[str, object], detail: dict[str, str]
    ) -> None:
        """Change a user's own fields, with the event that says so (who, what)."""
        with self.session() as s:
            user = s.exec(select(User).where(User.username == username)).first()
            if user is None:
                raise BadArgumentError(_("No user named %(name)r", name=username))
            for field, value in changes.items():
                setattr(user, field, value)
            s.add(Event(stage="users", outcome="ok", detail={**detail, "username": username}))

    # --- log-in sessions ---

    def add_login_session(self, session: LoginSession) -> None:
        with self.session() as s:
            s.add(session)

    def login_session(self, token_hash: str) -> tuple[LoginSession, User] | None:
        with self.session() as s:
            row = s.exec(
                select(LoginSession, User)
                .join(User, col(LoginSession.user_id) == col(User.id))
                .where(LoginSession.token_hash == token_hash)
            ).first()
            return (row[0], row[1]) if row else None

    def end_login_session(self, token_hash: str) -> None:
        with self.session() as s:
            row = s.get(LoginSession, token_hash)
            if row is not None:
                s.delete(row)

    def end_login_sessions_of(self, user_id: int) -> None:
        with self.session() as s:
            for row in s.exec(select(LoginSession).where(LoginSession.user_id == user_id)):
                s.delete(row)

    def record_login(
        self, username: str, *, ok: bool, lock_after: int, lock_for: timedelta
    ) -> User | None:
        """Count a failed log-in (locking the account after `lock_after`), or reset on success."""
        with self.session() as s:
            user = s.exec(select(User).where(User.username == username)).first()
            if user is None:
                return None
            if ok:
                user.failed_logins, user.locked_until = 0, None
            else:
                user.failed_logins += 1
                if user.failed_logins >= lock_after:
                    user.locked_until = utcnow() + lock_for
                    user.failed_logins = 0
            s.add(
                Event(
                    stage="login",
                    outcome="ok" if ok else "failed",
                    agent=username,
                    detail={"locked_until": user.locked_until.isoformat()}
                    if user.locked_until and not ok
                    else {},
                )
            )
            return user
