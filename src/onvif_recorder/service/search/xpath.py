"""The ``http://www.onvif.org/ver10/tse/searchFilter`` dialect (Search §5.18): a parser
and evaluator of its XPath 1.0 subset over a plain node tree.

::

    Expression ::= BoolExpr | Expression 'and' Expression | Expression 'or' Expression
                 | '(' Expression ')' | 'not' '(' Expression ')'
    BoolExpr   ::= 'boolean' '(' PathExpr ')' | 'contains' '(' ElementPath ',' String ')'
    PathExpr   ::= ElementPath ( '[' Test ']' )?     e.g. //Track[TrackType = "Video"]
    Test       ::= Comp | Test 'and' Test | Test 'or' Test | '(' Test ')' | 'not' '(' Test ')'
    Comp       ::= ( '@' Name | Name ) Operator String     Operator: = != < <= > >=

An ElementPath starting with ``//`` finds its first element anywhere, one starting with
``/`` at the root; names are matched by local name (prefixes are dropped, as the spec's
examples carry none). Strings may be double- or single-quoted (real clients send both).
Comparisons are numeric when both sides are numbers, chronological when both are
xs:dateTime values, else on the text. Anything else is
``InvalidFilterFault``; 'and' binds tighter than 'or', as in XPath.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from onvif_recorder.domain.errors import InvalidFilterFault
from onvif_recorder.token_cursor import TokenCursor

DIALECT = "http://www.onvif.org/ver10/tse/searchFilter"
MAX_LENGTH = 4096
MAX_DEPTH = 32


@dataclass(slots=True)
class Node:
    """An element: local name, text, attributes and children."""

    name: str
    text: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)

    def add(self, name: str, text: str = "", **attributes: str) -> Node:
        child = Node(name, text, dict(attributes))
        self.children.append(child)
        return child

    def descendants(self) -> Iterator[Node]:
        """This node and every node below it, in document order."""
        yield self
        for child in self.children:
            yield from child.descendants()


Filter = Callable[[Node], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<punct>//|/|[()\[\],]|!=|<=|>=|=|<|>)
      | (?P<string>"[^"]*"|'[^']*')
      | (?P<attribute>@(?:[^\W\d][\w.\-]*:)?[^\W\d][\w.\-]*)
      | (?P<name>(?:[^\W\d][\w.\-]*:)?[^\W\d][\w.\-]*)
    )""",
    re.VERBOSE,
)
_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise InvalidFilterFault(f"unexpected text at {position}: {text[position:][:40]!r}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return tokens


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _moment(text: str) -> float | None:
    """An xs:dateTime as POSIX seconds (no zone: UTC), else None."""
    if "T" not in text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).timestamp()


def _compare(left: str, operator: str, right: str) -> bool:
    a, b = _number(left), _number(right)
    if a is None or b is None:
        a, b = _moment(left), _moment(right)
    pair: tuple[float, float] | tuple[str, str] = (a, b) if a is not None and b is not None \
        else (left, right)
    x, y = pair
    match operator:
        case "=":
            return x == y
        case "!=":
            return x != y
        case "<":
            return x < y  # type: ignore[operator]
        case "<=":
            return x <= y  # type: ignore[operator]
        case ">":
            return x > y  # type: ignore[operator]
        case _:
            return x >= y  # type: ignore[operator]


@dataclass(frozen=True, slots=True)
class _Path:
    anywhere: bool
    names: tuple[str, ...]

    def select(self, root: Node) -> Iterator[Node]:
        starts = root.descendants() if self.anywhere else iter((root,))
        for start in starts:
            if start.name == self.names[0]:
                yield from _follow(start, self.names[1:])


def _follow(node: Node, names: tuple[str, ...]) -> Iterator[Node]:
    if not names:
        yield node
        return
    for child in node.children:
        if child.name == names[0]:
            yield from _follow(child, names[1:])


def _either(a: Filter, b: Filter) -> Filter:
    return lambda node: a(node) or b(node)


def _both(a: Filter, b: Filter) -> Filter:
    return lambda node: a(node) and b(node)


class _Parser(TokenCursor):
    def __init__(self, text: str) -> None:
        super().__init__(_tokens(text), InvalidFilterFault)
        self.depth = 0

    def parse(self) -> Filter:
        if not self.tokens:
            raise InvalidFilterFault("empty filter expression")
        result = self.disjunction(self.primary)
        if self.peek() is not None:
            raise InvalidFilterFault(f"unexpected {self.peek()!r}")
        return result


    def disjunction(self, primary: Callable[[], Callable[[Node], bool]]) -> Filter:
        left = self.conjunction(primary)
        while self.accept("or"):
            left = _either(left, self.conjunction(primary))
        return left

    def conjunction(self, primary: Callable[[], Filter]) -> Filter:
        left = self.factor(primary)
        while self.accept("and"):
            left = _both(left, self.factor(primary))
        return left

    def factor(self, primary: Callable[[], Filter]) -> Filter:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InvalidFilterFault("filter nested too deeply")
        try:
            if self.accept("not"):
                self.expect("(")
                inner = self.disjunction(primary)
                self.expect(")")
                return lambda n: not inner(n)
            if self.accept("("):
                inner = self.disjunction(primary)
                self.expect(")")
                return inner
            return primary()
        finally:
            self.depth -= 1

    def primary(self) -> Filter:
        if self.accept("boolean"):
            self.expect("(")
            path = self.path()
            test: Filter = lambda _: True  # noqa: E731
            if self.accept("["):
                test = self.disjunction(self.comparison)
                self.expect("]")
            self.expect(")")
            return lambda root: any(test(node) for node in path.select(root))
        if self.accept("contains"):
            self.expect("(")
            path = self.path()
            self.expect(",")
            wanted = self.take("string")[1:-1]
            self.expect(")")
            return lambda root: any(wanted in node.text for node in path.select(root))
        raise InvalidFilterFault(f"expected boolean( or contains(, found {self.peek()!r}")

    def path(self) -> _Path:
        if self.accept("//"):
            anywhere = True
        else:
            self.expect("/")
            anywhere = False
        names = [_local(self.take("name"))]
        while self.accept("/"):
            names.append(_local(self.take("name")))
        return _Path(anywhere, tuple(names))

    def comparison(self) -> Filter:
        kind = self.tokens[self.position][0] if self.position < len(self.tokens) else ""
        if kind not in ("attribute", "name"):
            raise InvalidFilterFault(f"expected a node name, found {self.peek()!r}")
        name = _local(self.take(kind).lstrip("@"))
        operator = self.peek()
        if operator not in _OPERATORS:
            raise InvalidFilterFault(f"expected a comparison operator, found {operator!r}")
        self.position += 1
        value = self.take("string")[1:-1]
        if kind == "attribute":
            return lambda n: name in n.attributes and _compare(n.attributes[name], operator, value)
        return lambda n: any(_compare(c.text, operator, value)
                             for c in n.children if c.name == name)


def parse_filter(text: str) -> Filter:
    """A predicate over node trees, or InvalidFilterFault."""
    if len(text) > MAX_LENGTH:
        raise InvalidFilterFault(f"filter longer than {MAX_LENGTH} characters")
    return _Parser(text).parse()
