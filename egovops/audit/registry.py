"""The one registry of checks: id, default severity, MLPS 2.0 clauses, zh/en message templates.

Every check is declared once, in :mod:`egovops.audit.check_table`, as a :class:`CheckSpec`::

    spec("isolation.circuit", Severity.CRITICAL, ["8.1.3.1 c)"],
         about=("no circuit connects a physically isolated zone to an ISP",
                "物理隔离区域无至运营商的专线"),
         title=("circuit {circuit} connects {zone} to an ISP",
                "专线 {circuit} 将 {zone} 连到运营商"),
         evidence=(...), remediation=(...))

Texts are ``(en, zh)`` pairs of :meth:`str.format` templates with named parameters. A check
function then makes its findings with :func:`finding`, giving the parameters by name::

    yield finding("isolation.circuit", subject=circuit.id, origin=where, zones=(zone,),
                  circuit=circuit.id, zone=zone)

The finding carries the check id, its parameters and its clauses; ``title``/``evidence``/
``remediation`` hold the English rendering (so code reading them keeps working), and reporters
call :func:`localize` to render them in ``--lang``. Parameters are technical tokens (ids,
addresses, rule text, ``file:line``) rendered as they are, or :class:`~egovops.model.findings.
Phrase` values: translatable pieces from :data:`~egovops.audit.check_table.PHRASES`, for the
parts of a message that vary in words ("by the default policy" / "由默认策略决定").

Adding a check is one ``spec(...)`` entry plus the function that calls :func:`finding`. The
parameters given must be exactly the placeholders of the templates (a typo is a ``KeyError``
at once, and the registry's tests render every template).

Compatibility: ``Finding(check=..., severity=..., title=..., evidence=..., remediation=...)``
still works; such a finding renders its English texts in every language until it is
converted. Converting a call site is mechanical: move the English texts into the check's
``spec`` entry with ``{name}`` placeholders, add the Chinese, and replace ``Finding(...)`` by
``finding(check, subject=..., origin=..., zones=..., name=value, ...)``; ``severity=`` is only
needed where it differs from the spec's default. ``mlps=`` goes away: the clauses are the
spec's (a policy's ``mlps:`` map may override them per check, see ``clauses=``).
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from egovops.audit.clauses import ClauseTable, clause_table
from egovops.i18n import LANGS, Lang
from egovops.model.findings import Finding, ParamValue, Phrase, Severity


@dataclass(frozen=True)
class Text:
    """One message in both languages: ``str.format`` templates with named placeholders."""

    en: str
    zh: str

    def __getitem__(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en

    @property
    def fields(self) -> frozenset[str]:
        """Placeholder names used in either language."""
        return frozenset(name for template in (self.en, self.zh)
                         for _, name, _, _ in string.Formatter().parse(template) if name)


@dataclass(frozen=True)
class CheckSpec:
    """A check as declared in the registry."""

    id: str
    severity: Severity
    """Default severity (a finding may be made at another one, e.g. by zone)."""
    clauses: tuple[str, ...]
    """MLPS 2.0 clause ids it evidences, from the clause table (may be empty for checks
    about egovops' own bookkeeping, such as waivers)."""
    about: Text
    """What the check proves, one line (the worksheet and SARIF rule descriptions)."""
    title: Text
    evidence: Text
    remediation: Text
    unverified: bool = False
    """Its findings say "could not be verified" (fail closed): a clause it evidences is at
    best 需人工核查 while such a finding stands."""

    @property
    def params(self) -> frozenset[str]:
        """Every parameter a finding of this check must give."""
        return self.title.fields | self.evidence.fields | self.remediation.fields


def spec(check_id: str, severity: Severity, clauses: Sequence[str], *,
         about: tuple[str, str], title: tuple[str, str], evidence: tuple[str, str],
         remediation: tuple[str, str], unverified: bool = False) -> CheckSpec:
    """A registry entry from ``(en, zh)`` pairs (the compact form of the table)."""
    return CheckSpec(check_id, severity, tuple(clauses), Text(*about), Text(*title),
                     Text(*evidence), Text(*remediation), unverified)


class UnknownCheckError(KeyError):
    """Raised when a finding is made for a check id the registry does not declare (a
    programming error)."""


@dataclass(frozen=True)
class Registry:
    """Checks by id, and the phrases their parameters may use."""

    checks: Mapping[str, CheckSpec]
    phrases: Mapping[str, Text]

    def get(self, check_id: str) -> CheckSpec | None:
        """The spec of ``check_id`` or ``None``."""
        return self.checks.get(check_id)

    def __contains__(self, check_id: object) -> bool:
        return isinstance(check_id, str) and check_id in self.checks

    def __getitem__(self, check_id: str) -> CheckSpec:
        try:
            return self.checks[check_id]
        except KeyError:
            raise UnknownCheckError(f"check {check_id!r} is not in the registry") from None

    def problems(self, clauses: ClauseTable) -> list[str]:
        """Everything wrong with the table: unknown clauses, missing texts, phrases whose
        templates do not render. Empty for the shipped registry (its test says so)."""
        found: list[str] = []
        for check in self.checks.values():
            for clause in check.clauses:
                if clause not in clauses:
                    found.append(f"{check.id}: {clauses.unknown_message(clause)}")
            for name in ("about", "title", "evidence", "remediation"):
                text: Text = getattr(check, name)
                for lang in LANGS:
                    if not text[lang].strip():
                        found.append(f"{check.id}: {name} has no {lang} text")
        for key, text in self.phrases.items():
            for lang in LANGS:
                if not text[lang].strip():
                    found.append(f"phrase {key}: no {lang} text")
        return found

    def render_value(self, value: ParamValue | int, lang: Lang) -> str:
        """A parameter as text: tokens as they are, phrases in ``lang``."""
        if isinstance(value, Phrase):
            return self.phrase(value.key, lang, **dict(value.params))
        return str(value)

    def phrase(self, key: str, lang: Lang, **params: str) -> str:
        """Phrase ``key`` in ``lang``."""
        return self.phrases[key][lang].format(**params)


@cache
def registry() -> Registry:
    """The shipped registry (built once from :mod:`egovops.audit.check_table`)."""
    from egovops.audit.check_table import CHECKS, PHRASES  # noqa: PLC0415 - table imports us

    by_id: dict[str, CheckSpec] = {}
    for check in CHECKS:
        if check.id in by_id:
            raise ValueError(f"check {check.id} declared twice in the registry")
        by_id[check.id] = check
    return Registry(by_id, PHRASES)


def phrase(key: str, **params: object) -> Phrase:
    """A translatable parameter value (``phrase("by-default-policy")``)."""
    if key not in registry().phrases:
        raise UnknownCheckError(f"phrase {key!r} is not in the registry")
    return Phrase(key, tuple((k, str(v)) for k, v in params.items()))


def finding(check: str, *, subject: str, origin: str = "", zones: Iterable[str] = (),
            severity: Severity | None = None, clauses: Sequence[str] | None = None,
            unproven: str = "", **params: ParamValue | int) -> Finding:
    """A finding of registered ``check`` about ``subject``, with its message parameters.

    ``severity`` defaults to the check's; ``clauses`` (a policy's override) to the check's.
    Raises :class:`UnknownCheckError` for an unregistered check and ``KeyError`` when the
    parameters are not exactly the templates' placeholders. ``unproven``: what the finding
    rests on when it depends on constructs a parser skipped (see ``Finding.unproven``).
    """
    return finding_of(check, params, subject=subject, origin=origin, zones=zones,
                      severity=severity, clauses=clauses, unproven=unproven)


def finding_of(check: str, params: Mapping[str, ParamValue | int], *, subject: str,
               origin: str = "", zones: Iterable[str] = (), severity: Severity | None = None,
               clauses: Sequence[str] | None = None, unproven: str = "") -> Finding:
    """:func:`finding` with the parameters as one mapping (for helpers that pass them on)."""
    reg = registry()
    spec_ = reg[check]
    given = set(params)
    if given != spec_.params:
        missing = sorted(spec_.params - given)
        extra = sorted(given - spec_.params)
        raise KeyError(f"{check}: parameters missing {missing}, unexpected {extra}")
    values = tuple((k, v if isinstance(v, Phrase) else str(v)) for k, v in params.items())
    chosen = tuple(clauses) if clauses is not None else spec_.clauses
    rendered = {k: reg.render_value(v, "en") for k, v in values}
    return Finding(
        check=check, severity=severity if severity is not None else spec_.severity,
        title=spec_.title.en.format(**rendered), subject=subject,
        evidence=spec_.evidence.en.format(**rendered),
        remediation=spec_.remediation.en.format(**rendered),
        origin=origin, mlps="; ".join(chosen), zones=tuple(zones), params=values,
        clauses=chosen, unproven=unproven,
    )


@dataclass(frozen=True)
class Localized:
    """A finding's texts in one language."""

    title: str
    evidence: str
    remediation: str
    mlps: str
    """Clause labels (``8.1.3.2 a) 访问控制``), or the finding's own ``mlps`` text."""


def localize(f: Finding, lang: Lang) -> Localized:
    """``f``'s title, evidence, remediation and clauses in ``lang``.

    Registry findings render their check's templates; findings built the older way (English
    texts, no parameters) keep their texts.
    """
    reg = registry()
    table = clause_table()
    spec_ = reg.get(f.check)
    if f.clauses:
        mlps = table.labels(f.clauses, lang)
    elif spec_ is not None and spec_.clauses and not f.mlps:
        mlps = table.labels(spec_.clauses, lang)
    else:
        mlps = f.mlps
    if spec_ is None or (not f.params and spec_.params):
        return Localized(f.title, f.evidence, f.remediation, mlps)
    values = {k: reg.render_value(v, lang) for k, v in f.params}
    return Localized(spec_.title[lang].format(**values), spec_.evidence[lang].format(**values),
                     spec_.remediation[lang].format(**values), mlps)


def split_bilingual(text: str) -> tuple[str, str]:
    """``("明文传输口令", "cleartext login")`` from policy text written ``中文 english``.

    Text that is not of that shape is returned for both languages (``rsh/rlogin 明文`` is
    Chinese with technical tokens)."""
    text = text.strip()
    last_cjk = max((i for i, ch in enumerate(text) if ord(ch) > 0x2E7F), default=-1)
    if last_cjk < 0:
        return text, text
    tail = text[last_cjk + 1:].strip()
    if any(ch.isalpha() for ch in tail) and " " in tail.strip(" ,;:()（）"):
        return text[:last_cjk + 1].strip(), tail.strip(" ,;:")
    return text, text


def check_clauses(check: str, overrides: Mapping[str, tuple[str, ...]] | None = None
                  ) -> tuple[str, ...]:
    """The clauses ``check`` evidences: a policy override, else the registry's (else none)."""
    if overrides and check in overrides:
        return overrides[check]
    found = registry().get(check)
    return found.clauses if found is not None else ()
