"""A cursor over (kind, text) tokens for the small recursive-descent parsers of filter
dialects: the event service's ItemFilter and Search's searchFilter (pure)."""

from __future__ import annotations

from collections.abc import Callable


class TokenCursor:
    def __init__(self, tokens: list[tuple[str, str]], error: Callable[[str], Exception]) -> None:
        self.tokens = tokens
        self.position = 0
        self._error = error

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def take(self, kind: str) -> str:
        if self.position >= len(self.tokens) or self.tokens[self.position][0] != kind:
            raise self._error(f"expected a {kind}, found {self.peek()!r}")
        self.position += 1
        return self.tokens[self.position - 1][1]

    def accept(self, word: str) -> bool:
        if self.peek() == word:
            self.position += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.accept(word):
            raise self._error(f"expected {word!r}, found {self.peek()!r}")
