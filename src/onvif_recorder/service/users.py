"""Device users: ONVIF Core GetUsers, CreateUsers, DeleteUsers, SetUser."""

from __future__ import annotations

import secrets

from onvif_recorder.domain import errors
from onvif_recorder.domain.users import User, UserLevel
from onvif_recorder.service.state import Changes, StateHolder
from onvif_recorder.settings import Limits


class UserService:
    def __init__(self, holder: StateHolder, limits: Limits) -> None:
        self.holder = holder
        self.limits = limits

    def users(self) -> list[User]:
        return list(self.holder.state.users.values())

    def lookup(self, username: str) -> User | None:
        return self.holder.state.users.get(username)

    def ensure_initial_administrator(
        self, username: str | None, password: str | None
    ) -> str | None:
        """On first run create the administrator; return a generated password, if any."""
        if self.holder.state.users:
            return None
        generated = None
        if not password:
            generated = password = secrets.token_urlsafe(12)
        self.create_users([User(username or "admin", password, UserLevel.ADMINISTRATOR)])
        return generated

    def create_users(self, users: list[User]) -> None:
        names = [user.username for user in users]
        if len(set(names)) != len(names) or any(n in self.holder.state.users for n in names):
            raise errors.UsernameClash("a username already exists")
        if len(self.holder.state.users) + len(users) > self.limits.max_users:
            raise errors.TooManyUsers(f"the device holds at most {self.limits.max_users} users")
        for user in users:
            self._check(user)
        self.holder.commit(Changes(users=list(users)))

    def delete_users(self, usernames: list[str]) -> None:
        for name in usernames:
            if name not in self.holder.state.users:
                raise errors.UsernameMissing(f"no user {name!r}")
        remaining = [u for u in self.users() if u.username not in usernames]
        if not any(u.level is UserLevel.ADMINISTRATOR for u in remaining):
            raise errors.FixedUser("the last administrator cannot be deleted")
        self.holder.commit(Changes(deleted_users=list(usernames)))

    def set_users(self, users: list[User]) -> None:
        for user in users:
            if user.username not in self.holder.state.users:
                raise errors.UsernameMissing(f"no user {user.username!r}")
            self._check(user)
        updated = {**self.holder.state.users, **{u.username: u for u in users}}
        if not any(u.level is UserLevel.ADMINISTRATOR for u in updated.values()):
            raise errors.FixedUser("the last administrator cannot be demoted")
        self.holder.commit(Changes(users=list(users)))

    def _check(self, user: User) -> None:
        if not user.username:
            raise errors.UsernameTooShort("the username is empty")
        if len(user.username) > self.limits.max_username_length:
            raise errors.UsernameTooLong(
                f"usernames have at most {self.limits.max_username_length} characters"
            )
        if not user.password:
            # Core SetUser: a device that cannot accept an empty password answers
            # PasswordTooWeak; this one never does, on CreateUsers either.
            raise errors.PasswordTooWeak("an empty password is not accepted")
        if len(user.password) > self.limits.max_password_length:
            raise errors.PasswordTooLong(
                f"passwords have at most {self.limits.max_password_length} characters"
            )
        if user.level is UserLevel.ANONYMOUS:
            raise errors.AnonymousNotAllowed("users of level Anonymous cannot be created")
