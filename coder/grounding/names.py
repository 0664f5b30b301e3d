"""What the resolver hands back: the names valid at a cursor, and how sure it is."""

from __future__ import annotations

from dataclasses import dataclass, field

HIGH = "high"
LOW = "low"


@dataclass(frozen=True)
class NameInfo:
    """One candidate name and what is known about it (for ranking and hints)."""

    name: str
    # "method" | "function" | "class" | "field" | "attribute" | "variable" | "parameter"
    # | "module" | "import" | "builtin" | "property" | "keyword" | "other"
    kind: str = "other"
    # Short call shape without self/annotations, e.g. "read(n)"; "" for non-callables.
    signature: str = ""
    # Where it comes from: "local" | "enclosing" | "module" | "import" | "builtin"
    # | "global" (JS/TS environment) | "member" | "inherited" | "keyword"
    origin: str = "member"

    @property
    def callable(self) -> bool:
        return self.kind in ("method", "function", "class") or bool(self.signature)


@dataclass
class Members:
    """The members a resolver found for a value, and whether that is all of them."""

    infos: dict[str, NameInfo]
    complete: bool
    label: str | None
    reason: str = ""


@dataclass(frozen=True)
class NameSet:
    """The names valid at a cursor.

    ``names`` holds every valid name that starts with ``partial``, best first; it is
    complete (not cut to a top-k) so a grammar built from it never forbids a valid
    name. ``confidence`` is "high" only when the resolver knows the whole set; with
    "low" the set is a hint at most and nothing should be forced or flagged.
    """

    names: list[str]
    confidence: str  # "high" | "low"
    kind: str  # "member" (after `X.`) | "scope" (a bare identifier)
    receiver: str | None  # source text of X for "member", else None
    partial: str  # the identifier part already typed before the cursor
    # Language keywords that may also start the text at a scope position (not ranked,
    # not in ``names``); empty for members.
    keywords: tuple[str, ...] = ()
    details: dict[str, NameInfo] = field(default_factory=dict)
    # Human label of what X is, e.g. "Reader", "module io", "str"; None when unknown.
    receiver_label: str | None = None
    reason: str = ""  # why the confidence is low (for logs and tests)
    # A new member name is also valid here if the output assigns it
    # (`self.total = 0` at the start of a statement): the grammar allows that shape.
    assignable: bool = False

    def allowed(self) -> list[str]:
        """Every word the output may start with: the names, then the keywords."""
        return self.names + [k for k in self.keywords if k.startswith(self.partial)]

    @property
    def is_high(self) -> bool:
        return self.confidence == HIGH


def free(kind: str, partial: str, reason: str, receiver: str | None = None) -> NameSet:
    """A low-confidence, empty set: generate freely here."""
    return NameSet(names=[], confidence=LOW, kind=kind, receiver=receiver, partial=partial, reason=reason)
