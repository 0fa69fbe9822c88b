"""What a business's signing certificate must be, beyond chaining to a trusted root.

Checked on the certificate itself, before its trust, so that each refusal says precisely
what is wrong (pyHanko would say "untrusted" or "unusable" for most of them):

1. not self-signed (a certificate anyone can make);
2. valid already (not before its validity starts);
3. key usage, if present, allows signatures: digitalSignature or nonRepudiation
   (contentCommitment), RFC 5280 4.2.1.3 and ETSI EN 319 412-2;
4. extended key usage, if present, allows signing documents (`DOCUMENT_SIGNING_PURPOSES`);
5. it names exactly one tax code (a certificate naming two businesses is ambiguous).

The extended key usage rule (RFC 5280 4.2.1.12: when present, the certificate may be used
only for the purposes listed). We accept:

- anyExtendedKeyUsage (2.5.29.37.0): no restriction;
- documentSigning (1.3.6.1.5.5.7.3.36, RFC 9336): made for this;
- emailProtection (1.3.6.1.5.5.7.3.4): S/MIME signing, i.e. signing content with CMS, which
  is what a PAdES signature is; Vietnamese CAs issue signing certificates with it (usually
  beside clientAuth), and Adobe Acrobat accepts it for document signatures;
- Adobe Authentic Documents Trust (1.2.840.113583.1.1.5) and Microsoft Document Signing
  (1.3.6.1.4.1.311.10.3.12), the vendors' document signing purposes.

Refused: a list of only other purposes, e.g. serverAuth (a web server's certificate),
clientAuth alone (logging in to a site) or codeSigning. Certificates without the extension
are accepted, as RFC 5280 says.

This module judges bytes only (asn1crypto certificates); verify and upload turn its codes
into their reasons.
"""

import re
from datetime import datetime

from asn1crypto import x509
from django.utils.translation import gettext_lazy as _

SELF_SIGNED = "self_signed_certificate"
NOT_YET_VALID = "not_yet_valid"  # the same code verify uses
KEY_USAGE_NOT_FOR_SIGNING = "key_usage_not_for_signing"
EXTENDED_KEY_USAGE_NOT_FOR_DOCUMENTS = "extended_key_usage_not_for_documents"
SEVERAL_TAX_CODES = "several_tax_codes"

MESSAGES = {
    SELF_SIGNED: _(
        "The signing certificate is self-signed: it was not issued by a certification "
        "authority, so anyone could have made it."
    ),
    NOT_YET_VALID: _("The signing certificate is not valid yet."),
    KEY_USAGE_NOT_FOR_SIGNING: _(
        "The signing certificate's key usage does not allow signatures (it needs "
        "digitalSignature or nonRepudiation)."
    ),
    EXTENDED_KEY_USAGE_NOT_FOR_DOCUMENTS: _(
        "The signing certificate is limited to other purposes (such as a web server's or "
        "logging in) and may not sign documents."
    ),
    SEVERAL_TAX_CODES: _(
        "The signing certificate names more than one tax code, so it is not clear which "
        "business signed."
    ),
}

DOCUMENT_SIGNING_PURPOSES = {
    "2.5.29.37.0",  # anyExtendedKeyUsage
    "1.3.6.1.5.5.7.3.36",  # documentSigning (RFC 9336)
    "1.3.6.1.5.5.7.3.4",  # emailProtection
    "1.2.840.113583.1.1.5",  # Adobe Authentic Documents Trust
    "1.3.6.1.4.1.311.10.3.12",  # Microsoft Document Signing
}
SIGNING_KEY_USAGES = {"digital_signature", "non_repudiation"}

# A Vietnamese tax code: ten digits, and a branch's three after a hyphen.
ANY_TAX_CODE = r"\d{10}(?:-\d{3})?"


def is_self_signed(cert: x509.Certificate) -> bool:
    return cert.self_signed != "no"


def is_not_yet_valid(cert: x509.Certificate, at: datetime) -> bool:
    return cert["tbs_certificate"]["validity"]["not_before"].native > at


def trust_detail(cert: x509.Certificate | None, *, at: datetime) -> str | None:
    """Why an untrusted certificate is untrusted, when the certificate itself says it."""
    if cert is None:
        return None
    if is_self_signed(cert):
        return SELF_SIGNED
    if is_not_yet_valid(cert, at):
        return NOT_YET_VALID
    return None


def tax_codes(cert: x509.Certificate, pattern: str, attributes) -> set[str]:
    """Every tax code the subject names in `attributes`, read with the deployment's
    `pattern` ("{tax_code}" standing for any tax code)."""
    regex = re.compile(
        pattern.replace("{tax_code}", f"(?P<tax_code>{ANY_TAX_CODE})"), re.IGNORECASE
    )
    found = set()
    for rdn in cert.subject.chosen:
        for attribute in rdn:
            if attribute["type"].native not in attributes:
                continue
            value = attribute["value"].native
            if isinstance(value, str):
                match = regex.fullmatch(re.sub(r"\s+", "", value))
                if match:
                    found.add(match.group("tax_code"))
    return found


def business_certificate_problem(
    cert: x509.Certificate, *, at: datetime, codes_named: set[str] | None = None
) -> str | None:
    """The first reason (a code of MESSAGES) `cert` may not sign for a business, or None.
    `at`: the time to judge validity at; `codes_named`: the tax codes the certificate names
    (None: not checked)."""
    detail = trust_detail(cert, at=at)
    if detail is not None:
        return detail
    key_usage = cert.key_usage_value
    if key_usage is not None and not SIGNING_KEY_USAGES & set(key_usage.native):
        return KEY_USAGE_NOT_FOR_SIGNING
    purposes = cert.extended_key_usage_value
    if purposes is not None and not DOCUMENT_SIGNING_PURPOSES & {p.dotted for p in purposes}:
        return EXTENDED_KEY_USAGE_NOT_FOR_DOCUMENTS
    if codes_named is not None and len(codes_named) > 1:
        return SEVERAL_TAX_CODES
    return None
