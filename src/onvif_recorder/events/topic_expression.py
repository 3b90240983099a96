"""Topic expressions: ONVIF's ConcreteSet dialect and WS-Topics' Concrete (Core "Topic
Filter").

ConcreteSet::

    TopicExpression ::= TopicPath ( '|' TopicPath )*
    TopicPath       ::= RootTopic ChildTopicExpression* ( '//.' )?
    RootTopic       ::= QName
    ChildTopicExpression ::= '/' ( QName | NCName )

Concrete is a single TopicPath without ``//.``. Prefixes resolve against the namespaces in
scope of the TopicExpression element; a ``tns1`` prefix the client did not declare is taken
as the ONVIF topic namespace, because common clients (zeep among them) send the bare text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from onvif_recorder.events.errors import (
    InvalidTopicExpression,
    TopicExpressionDialectUnknown,
    TopicNotSupported,
)
from onvif_recorder.events.topics import TOPIC_NAMESPACE, TOPIC_PREFIX, TOPICS, Topic

CONCRETE = "http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete"
CONCRETE_SET = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
DIALECTS = (CONCRETE, CONCRETE_SET)  # both mandatory (Core "Get event properties")
MAX_EXPRESSION_LENGTH = 4096
SUBTREE = "//."

_NCNAME = re.compile(r"[^\W\d][\w.\-]*")

Resolver = Callable[[str], str | None]
"""Namespace of a prefix ('' for the default namespace) in scope, None if undeclared."""


@dataclass(frozen=True, slots=True)
class TopicPath:
    namespace: str
    names: tuple[str, ...]
    subtree: bool = False

    def matches(self, topic: Topic) -> bool:
        if self.namespace != TOPIC_NAMESPACE:
            return False
        if self.subtree:
            return topic.path[: len(self.names)] == self.names
        return topic.path == self.names


@dataclass(frozen=True, slots=True)
class TopicExpression:
    """Matches a topic when any of its paths does."""

    paths: tuple[TopicPath, ...]

    def matches(self, topic: Topic) -> bool:
        return any(path.matches(topic) for path in self.paths)


def parse_topic_expression(text: str, dialect: str, resolve: Resolver,
                           known: tuple[Topic, ...] | None = TOPICS) -> TopicExpression:
    """Parse ``text``; refuse it unless it names at least one of the ``known`` topics
    (those this device emits). ``None``: any topic may exist (recorded events)."""
    if dialect not in DIALECTS:
        raise TopicExpressionDialectUnknown(f"topic expression dialect {dialect[:200]!r}")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise InvalidTopicExpression(f"topic expression longer than {MAX_EXPRESSION_LENGTH}")
    alternatives = text.split("|")
    if dialect == CONCRETE and len(alternatives) > 1:
        raise InvalidTopicExpression("'|' is not part of the Concrete dialect")
    paths = tuple(_path(a.strip(), dialect, resolve) for a in alternatives)
    expression = TopicExpression(paths)
    if known is not None and not any(expression.matches(topic) for topic in known):
        raise TopicNotSupported(f"{text.strip()[:200]!r} names no topic of this device")
    return expression


def _path(text: str, dialect: str, resolve: Resolver) -> TopicPath:
    subtree = text.endswith(SUBTREE)
    if subtree:
        if dialect != CONCRETE_SET:
            raise InvalidTopicExpression("'//.' is only part of the ConcreteSet dialect")
        text = text[: -len(SUBTREE)]
    root, *children = text.split("/")
    namespace, root_name = _qname(root, resolve)
    names = [root_name]
    for child in children:
        child_namespace, name = _qname(child, resolve) if ":" in child else (namespace, child)
        _check_ncname(name)
        # A child in another namespace is another vendor's topic: it can never match ours.
        names.append(name if child_namespace == namespace else f"{{{child_namespace}}}{name}")
    return TopicPath(namespace, tuple(names), subtree)


def _qname(text: str, resolve: Resolver) -> tuple[str, str]:
    prefix, colon, local = text.partition(":")
    if not colon:
        prefix, local = "", text
    else:
        _check_ncname(prefix)
    _check_ncname(local)
    namespace = resolve(prefix)
    if namespace is None and prefix == TOPIC_PREFIX:
        namespace = TOPIC_NAMESPACE
    if namespace is None:
        if prefix:
            raise InvalidTopicExpression(f"namespace prefix {prefix!r} is not declared")
        namespace = ""
    return namespace, local


def _check_ncname(name: str) -> None:
    if not _NCNAME.fullmatch(name):
        raise InvalidTopicExpression(f"{name[:100]!r} is not a topic name")
