"""A finding, and the result of one review."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

SEVERITIES = ("note", "warning", "error")  # in rising order


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


@dataclass
class Finding:
    path: str
    line: int  # 1-based
    severity: str  # error | warning | note
    message: str  # one line
    column: int = 1  # 1-based
    suggestion: str | None = None  # a replacement for the whole line, when offered
    confidence: float = 1.0  # 0..1; sure checks are 1
    source: str = "model"  # "model", or the sure check's name ("syntax", "undefined-name")
    quote: str = ""  # the text of the line the model cited

    @property
    def rule(self) -> str:
        return "coder-review" if self.source == "model" else f"coder-{self.source}"

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class ReviewResult:
    findings: list[Finding] = field(default_factory=list)
    label: str = "staged"  # what was reviewed
    reviewed_hunks: int = 0
    unreviewed: list[str] = field(default_factory=list)  # "path:start-end" left out, with why
    skipped_files: list[tuple[str, str]] = field(default_factory=list)
    unparsable: list[str] = field(default_factory=list)  # reply parts not in the expected form
    dropped: list[str] = field(default_factory=list)  # findings grounding or filters removed, with why
    model: str | None = None
    model_error: str | None = None  # why the model part did not run (fail-open reasons)
    timed_out: bool = False
    seconds: float = 0.0
    base: str | None = None
    commit: str | None = None

    def blocking(self, threshold: str) -> list[Finding]:
        rank = severity_rank(threshold)
        return [f for f in self.findings if severity_rank(f.severity) >= rank]

    def as_dict(self) -> dict:
        data = asdict(self)
        data["skipped_files"] = [list(item) for item in self.skipped_files]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "ReviewResult":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known["findings"] = [Finding.from_dict(f) for f in data.get("findings", [])]
        known["skipped_files"] = [tuple(item) for item in data.get("skipped_files", [])]
        return cls(**known)
