"""Message content filters in ONVIF's ItemFilter dialect (Core "Message Content Filter").

::

    Expression ::= BoolExpr | Expression 'and' Expression | Expression 'or' Expression
                 | '(' Expression ')' | 'not' '(' Expression ')'
    BoolExpr   ::= 'boolean' '(' PathExpr ')'
    PathExpr   ::= '//' Prefix? ( 'SimpleItem' | 'ElementItem' ) '[' AttrExpr ']'
    AttrExpr   ::= AttrComp | AttrExpr 'and' AttrExpr | AttrExpr 'or' AttrExpr
                 | '(' AttrExpr ')' | 'not' '(' AttrExpr ')'
    AttrComp   ::= ( '@Name' | '@Value' ) '=' '"' String '"'

'and' binds tighter than 'or', both left associative (as in XPath 1.0). An item test
looks at the items of every group (Source, Key, Data); an ElementItem has no @Value, so a
comparison with it is false. Strings may also be single-quoted, as in XPath.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from onvif_recorder.events.errors import InvalidMessageContent
from onvif_recorder.events.topic_expression import Resolver
from onvif_recorder.events.topics import Message
from onvif_recorder.token_cursor import TokenCursor

ITEM_FILTER = "http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter"
TT = "http://www.onvif.org/ver10/schema"
MAX_EXPRESSION_LENGTH = 4096
MAX_DEPTH = 32

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<punct>//|[()\[\]=])
      | (?P<string>"[^"]*"|'[^']*')
      | (?P<attribute>@[A-Za-z]+)
      | (?P<name>[^\W\d][\w.\-]*(?::[^\W\d][\w.\-]*)?)
    )""",
    re.VERBOSE,
)

T = TypeVar("T")
Predicate = Callable[[T], bool]
Item = tuple[str, str | None]  # (Name, Value); Value None for an ElementItem
ContentFilter = Predicate[Message]


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise InvalidMessageContent(f"unexpected {text[position:position + 20]!r}")
        tokens.append((match.lastgroup, match[match.lastgroup]))
        position = match.end()
    return tokens


def _or(left: Predicate[T], right: Predicate[T]) -> Predicate[T]:
    return lambda value: left(value) or right(value)


def _and(left: Predicate[T], right: Predicate[T]) -> Predicate[T]:
    return lambda value: left(value) and right(value)


def _not(inner: Predicate[T]) -> Predicate[T]:
    return lambda value: not inner(value)


def _simple_items(message: Message) -> Iterable[Item]:
    return message.simple_items()


def _element_items(message: Message) -> Iterable[Item]:
    return ((name, None) for name in message.element_item_names())


class _Parser(TokenCursor):
    def __init__(self, text: str, resolve: Resolver) -> None:
        super().__init__(_tokens(text), InvalidMessageContent)
        self.depth = 0
        self.resolve = resolve

    def parse(self) -> ContentFilter:
        predicate = self.expression(self.item_test)
        if self.position != len(self.tokens):
            raise InvalidMessageContent(f"unexpected {self.peek()!r} after the expression")
        return predicate


    def expression(self, primary: Callable[[], Predicate[T]]) -> Predicate[T]:
        predicate = self.conjunction(primary)
        while self.accept("or"):
            predicate = _or(predicate, self.conjunction(primary))
        return predicate

    def conjunction(self, primary: Callable[[], Predicate[T]]) -> Predicate[T]:
        predicate = self.factor(primary)
        while self.accept("and"):
            predicate = _and(predicate, self.factor(primary))
        return predicate

    def factor(self, primary: Callable[[], Predicate[T]]) -> Predicate[T]:
        negate = self.accept("not")
        if not negate and self.peek() != "(":
            return primary()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InvalidMessageContent(f"expression nests deeper than {MAX_DEPTH}")
        self.expect("(")
        inner = self.expression(primary)
        self.expect(")")
        self.depth -= 1
        return _not(inner) if negate else inner

    def item_test(self) -> ContentFilter:
        self.expect("boolean")
        self.expect("(")
        self.expect("//")
        items = self.item_kind(self.take("name"))
        self.expect("[")
        test = self.expression(self.comparison)
        self.expect("]")
        self.expect(")")
        return lambda message: any(test(item) for item in items(message))

    def item_kind(self, name: str) -> Callable[[Message], Iterable[Item]]:
        prefix, _, local = name.rpartition(":")
        namespace = self.resolve(prefix) if prefix else TT
        if namespace is None and prefix == "tt":
            namespace = TT
        if namespace != TT:
            raise InvalidMessageContent(f"prefix {prefix!r} is not the ONVIF schema namespace")
        if local == "SimpleItem":
            return _simple_items
        if local == "ElementItem":
            return _element_items
        raise InvalidMessageContent(f"{local!r} is neither SimpleItem nor ElementItem")

    def comparison(self) -> Predicate[Item]:
        attribute = self.take("attribute")
        self.expect("=")
        expected = self.take("string")[1:-1]
        if attribute == "@Name":
            return lambda item: item[0] == expected
        if attribute == "@Value":
            return lambda item: item[1] == expected
        raise InvalidMessageContent(f"{attribute!r} is neither @Name nor @Value")


def parse_item_filter(text: str, dialect: str, resolve: Resolver) -> ContentFilter:
    """A predicate over messages, or InvalidMessageContent."""
    if dialect != ITEM_FILTER:
        raise InvalidMessageContent(f"message content dialect {dialect[:200]!r} is not supported")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise InvalidMessageContent(f"expression longer than {MAX_EXPRESSION_LENGTH}")
    return _Parser(text, resolve).parse()
