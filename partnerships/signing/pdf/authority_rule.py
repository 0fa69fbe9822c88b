"""Does a signing certificate belong to this authority?

One deployment serves a province's communes and wards, each with its own official-duty
certificate; a certificate of Bến Lức must not sign for Thạnh Lợi. Official-duty
certificates name their agency in the subject, but how (organizationName, an organizational
unit, a serialNumber or an agency code under an OID) differs between issuers, so the rule is
the deployment's: which subject attributes to read, and what one of them must equal, contain
or match. Its value may name the authority: "{name}" (its name as the MoU sent names it),
"{code}" (its document code) and "{id}" (its id in the registry).

Names are compared as a reader would: Unicode NFC, case-folded, whitespace collapsed. The
default: the subject's organizationName equals the authority's name.

Bytes only (asn1crypto certificates): the flow builds the identity from its models, the
upload check and the server signer both call `AuthorityRule.matches`.
"""

import re
import unicodedata
from dataclasses import dataclass

from asn1crypto import x509
from django.utils.translation import gettext_lazy as _

WRONG_AUTHORITY = "wrong_authority"
WRONG_AUTHORITY_MESSAGE = _(
    "The signing certificate does not belong to %(authority)s: its subject (%(subject)s) "
    "does not name it as the registry's rule requires (%(rule)s)."
)

MATCHES = ("equals", "contains", "pattern")
PLACEHOLDER = re.compile(r"\{(name|code|id)\}")


@dataclass(frozen=True)
class AuthorityIdentity:
    """The authority a signature is for, as the rule may name it."""

    id: int
    name: str
    code: str = ""

    def fill(self, template: str, *, escape: bool = False) -> str:
        """The template with each placeholder replaced, in one pass: a name holding
        "{code}" stays that text. `escape` (for a pattern): each value folded as the
        subject is, then taken literally."""
        values = {"name": self.name, "code": self.code, "id": str(self.id)}

        def value_of(placeholder: re.Match) -> str:
            value = values[placeholder.group(1)]
            return re.escape(_fold(value)) if escape else value

        return PLACEHOLDER.sub(value_of, template)

    def can_fill(self, template: str) -> bool:
        """Whether every placeholder the template uses has a value: an empty code in
        "UBND {code}" would leave a rule that every UBND's certificate meets."""
        values = {"name": self.name, "code": self.code, "id": str(self.id)}
        return all(_fold(values[used]) for used in PLACEHOLDER.findall(template))


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _text(attribute) -> str | None:
    """An attribute's value as text; an unknown OID's value is read as the string it holds."""
    value = attribute["value"]
    native = value.native
    if isinstance(native, str):
        return native
    try:
        parsed = value.parsed.native  # asn1crypto's Any: a DirectoryString, UTF8String…
    except Exception:
        return None
    return parsed if isinstance(parsed, str) else None


@dataclass(frozen=True)
class AuthorityRule:
    """One of `attributes` of the certificate's subject (asn1crypto names such as
    "organization_name", "organizational_unit_name", "common_name", "serial_number",
    "user_id", "organization_identifier", or a dotted OID) must satisfy `match` ("equals",
    "contains" or "pattern", a regular expression matched in full) against `value`."""

    attributes: tuple[str, ...] = ("organization_name",)
    match: str = "equals"
    value: str = "{name}"

    def __post_init__(self):
        if self.match not in MATCHES:
            raise ValueError(f"match must be one of {', '.join(MATCHES)}")
        if not self.attributes or not self.value.strip():
            raise ValueError("a rule needs attributes and a value")
        if self.match == "pattern":
            re.compile(AuthorityIdentity(0, "x", "x").fill(self.value, escape=True))  # fails early

    def values_in(self, cert: x509.Certificate) -> list[str]:
        found = []
        for rdn in cert.subject.chosen:
            for attribute in rdn:
                kind = attribute["type"]
                if kind.native in self.attributes or kind.dotted in self.attributes:
                    text = _text(attribute)
                    if text is not None:
                        found.append(text)
        return found

    def matches(self, cert: x509.Certificate | None, authority: AuthorityIdentity) -> bool:
        if cert is None or not authority.can_fill(self.value):
            return False
        if self.match == "pattern":
            expected = re.compile(authority.fill(self.value, escape=True), re.IGNORECASE)
            return any(expected.fullmatch(_fold(v)) for v in self.values_in(cert))
        wanted = _fold(authority.fill(self.value))
        if not wanted:
            return False
        if self.match == "equals":
            return any(_fold(v) == wanted for v in self.values_in(cert))
        return any(wanted in _fold(v) for v in self.values_in(cert))

    def describe(self, authority: AuthorityIdentity) -> str:
        """The rule for this authority, in words for the person who configures or signs."""
        return f"{' / '.join(self.attributes)} {self.match} “{authority.fill(self.value)}”"

    def refusal(self, cert: x509.Certificate | None, authority: AuthorityIdentity) -> str:
        """Why `cert` was refused for `authority`, filled in."""
        subject = cert.subject.human_friendly if cert is not None else "—"
        return WRONG_AUTHORITY_MESSAGE % {
            "authority": authority.name,
            "subject": subject,
            "rule": self.describe(authority),
        }


DEFAULT_AUTHORITY_RULE = AuthorityRule()


def rule_from(
    config: dict | None,
    default: AuthorityRule = DEFAULT_AUTHORITY_RULE,
    *,
    for_every_authority: bool = False,
):
    """A rule from its configuration {"attributes": [...], "equals"|"contains"|"pattern":
    "..."}; `default` for none. ValueError with what is wrong. A rule `for_every_authority`
    must name the authority with a placeholder: without one, it would be the same for all,
    and every commune's certificate would sign for every other."""
    if config is None:
        return default
    if not isinstance(config, dict):
        raise ValueError("a rule is an object")
    chosen = [key for key in MATCHES if key in config]
    if len(chosen) != 1:
        raise ValueError("a rule has exactly one of equals, contains, pattern")
    attributes = config.get("attributes", list(default.attributes))
    if isinstance(attributes, str):
        attributes = [attributes]
    if not isinstance(attributes, list) or not all(isinstance(a, str) for a in attributes):
        raise ValueError("a rule's attributes are a list of names")
    value = config[chosen[0]]
    if not isinstance(value, str):
        raise ValueError("a rule's value is text")
    if for_every_authority and not PLACEHOLDER.search(value):
        raise ValueError(
            "the rule for every authority must name it with {name}, {code} or {id}; "
            "a fixed value belongs in one authority's own rule"
        )
    try:
        return AuthorityRule(attributes=tuple(attributes), match=chosen[0], value=value)
    except re.error as exc:
        raise ValueError(f"the pattern is not a regular expression: {exc}") from exc
