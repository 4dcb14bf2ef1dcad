"""Who may have a service: eligibility rules over a resident's current tags.

A rule is a boolean expression over tag codes (`grids.models.TagDef.code`, characters
[a-z0-9_]) with `and`, `or`, `not` and parentheses, e.g. `elderly_80 or (living_alone and
dibao)`. An empty rule means everyone is eligible. Precedence is Python's: `not` binds tighter
than `and`, which binds tighter than `or`.

Rules are parsed by a small recursive-descent parser into a tree of tuples and evaluated
against a set of codes — never with `eval`. Tags count only while in force
(grids.cadence.current_tags), so an expired 低保 certificate no longer qualifies.
"""

import re
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

KEYWORDS = frozenset({"and", "or", "not"})
_TOKEN = re.compile(r"\s*(?:(?P<name>[a-z0-9_]+)|(?P<paren>[()])|(?P<other>\S))")

# A parsed rule: ("tag", code) | ("not", node) | ("and", (node, ...)) | ("or", (node, ...)),
# or None for the empty rule.
Node = tuple


class RuleSyntaxError(ValueError):
    """A rule that does not parse; `message` is user-facing and already translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _tokenize(rule: str) -> list[tuple[str, int]]:
    """(token, 1-based position) pairs; a character outside the alphabet is a syntax error."""
    tokens = []
    position = 0
    while position < len(rule):
        match = _TOKEN.match(rule, position)
        if match is None:  # only trailing whitespace is left
            break
        if match.group("other") is not None:
            raise RuleSyntaxError(
                _("Unexpected character “%(char)s” at position %(pos)d.")
                % {"char": match.group("other"), "pos": match.start("other") + 1}
            )
        kind = "name" if match.group("name") is not None else "paren"
        tokens.append((match.group(kind), match.start(kind) + 1))
        position = match.end()
    return tokens


class _Parser:
    """or_expr := and_expr ("or" and_expr)*;  and_expr := not_expr ("and" not_expr)*;
    not_expr := "not" not_expr | atom;  atom := CODE | "(" or_expr ")"."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.index = 0

    def peek(self):
        return self.tokens[self.index][0] if self.index < len(self.tokens) else None

    def take(self):
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.or_expr()
        if self.index < len(self.tokens):
            token, position = self.tokens[self.index]
            raise RuleSyntaxError(
                _("Unexpected “%(token)s” at position %(pos)d.") % {"token": token, "pos": position}
            )
        return node

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.peek() == "or":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else ("or", tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.not_expr()]
        while self.peek() == "and":
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else ("and", tuple(parts))

    def not_expr(self) -> Node:
        if self.peek() == "not":
            self.take()
            return ("not", self.not_expr())
        return self.atom()

    def atom(self) -> Node:
        if self.index >= len(self.tokens):
            raise RuleSyntaxError(_("The rule ends too early: a tag code or “(” is missing."))
        word, position = self.take()
        if word == "(":
            node = self.or_expr()
            if self.peek() != ")":
                raise RuleSyntaxError(
                    _("The parenthesis opened at position %(pos)d is not closed.")
                    % {"pos": position}
                )
            self.take()
            return node
        if word == ")" or word in KEYWORDS:
            raise RuleSyntaxError(
                _("Expected a tag code or “(” at position %(pos)d, found “%(token)s”.")
                % {"pos": position, "token": word}
            )
        return ("tag", word)


@lru_cache(maxsize=512)
def rule_parse(rule: str) -> Node | None:
    """The tree of `rule` (None when empty); raises RuleSyntaxError. Pure, hence cached."""
    tokens = _tokenize(rule or "")
    if not tokens:
        return None
    return _Parser(tokens).parse()


def _codes(node: Node | None, into: set[str]) -> set[str]:
    if node is None:
        return into
    kind, value = node
    if kind == "tag":
        into.add(value)
    elif kind == "not":
        _codes(value, into)
    else:
        for part in value:
            _codes(part, into)
    return into


def _evaluate(node: Node | None, codes) -> bool:
    if node is None:
        return True
    kind, value = node
    if kind == "tag":
        return value in codes
    if kind == "not":
        return not _evaluate(value, codes)
    if kind == "and":
        return all(_evaluate(part, codes) for part in value)
    return any(_evaluate(part, codes) for part in value)


def _syntax_error(exc: RuleSyntaxError) -> ValidationError:
    return ValidationError(exc.message, code="rule_syntax")


def rule_tags(rule: str) -> set[str]:
    """The tag codes a rule mentions; raises ValidationError if it does not parse."""
    try:
        return _codes(rule_parse(rule or ""), set())
    except RuleSyntaxError as exc:
        raise _syntax_error(exc) from None


def rule_validate(rule: str) -> None:
    """Raise ValidationError if `rule` does not parse or names a tag code that does not exist."""
    from grids.models import TagDef

    codes = rule_tags(rule)
    if not codes:
        return
    known = set(TagDef.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = sorted(codes - known)
    if unknown:
        raise ValidationError(
            _("Unknown tag code(s): %(codes)s.") % {"codes": ", ".join(unknown)},
            code="rule_unknown_tag",
        )


def rule_evaluate(rule: str, codes) -> bool:
    """Whether a holder of the tag codes `codes` satisfies `rule` (empty rule: always).

    Raises ValidationError if the rule does not parse. Unknown codes are simply not held.
    """
    try:
        node = rule_parse(rule or "")
    except RuleSyntaxError as exc:
        raise _syntax_error(exc) from None
    return _evaluate(node, frozenset(codes))


def resident_tag_codes(*, resident, on=None) -> set[str]:
    """Codes of the resident's tags in force on `on` (today by default). One query."""
    from grids.cadence import current_tags

    on = on or timezone.localdate()
    return set(current_tags(on=on).filter(resident=resident).values_list("tag__code", flat=True))


def resident_is_eligible(*, resident, rule: str, on=None) -> bool:
    """Whether the resident's current tags satisfy `rule` (empty rule: everyone)."""
    if not (rule or "").strip():
        return True
    return rule_evaluate(rule, resident_tag_codes(resident=resident, on=on))
