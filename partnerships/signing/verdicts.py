"""A verification verdict in plain words, for the public page and `manage.py verify_pdf`."""

import hashlib
import logging
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerships.signing.pdf.stamps import format_signing_time
from partnerships.signing.pdf.verify import Problem, Verdict
from partnerships.signing.setup import SigningSetup

logger = logging.getLogger(__name__)


MODIFICATIONS = {
    "none": lambda: _("Nothing was changed after this signature."),
    "lta_updates": lambda: _(
        "After this signature only validation data and archive timestamps were added."
    ),
    "form_filling": lambda: _(
        "After this signature only form fields were filled in and signatures added."
    ),
    "annotations": lambda: _("After this signature, comments (annotations) were added."),
    "other": lambda: _("After this signature the document was changed in other ways."),
}
PERMISSIONS = {
    "no_changes": lambda: _("It allows no change afterwards."),
    "fill_forms": lambda: _("It allows only filling in the form and signing afterwards."),
    "annotate": lambda: _("It allows form filling, signing and comments afterwards."),
}


def _when(value: str | None) -> str:
    if not value:
        return _("an unknown time")
    return format_signing_time(datetime.fromisoformat(value))


def describe_signature(signature: dict) -> dict:
    """{"title", "ok", "lines"} for one entry of Verdict.as_dict()["signatures"]."""
    lines = []
    if signature["kind"] == "timestamp":
        title = _("Document timestamp by %(name)s, at %(time)s") % {
            "name": signature["signer_name"],
            "time": _when(signature["signed_at"]),
        }
    else:
        title = _("Signed by %(name)s, at %(time)s") % {
            "name": signature["signer_name"],
            "time": _when(signature["signed_at"]),
        }
        if signature["time_source"] == "timestamp":
            lines.append(_("The time comes from a trusted time-stamping authority."))
        elif signature["time_source"] == "claimed":
            lines.append(_("The time is the one the signer's computer gave (no timestamp)."))
        if signature["claimed_name"] and signature["claimed_name"] != signature["signer_name"]:
            lines.append(
                _("Name given in the signature: %(name)s") % {"name": signature["claimed_name"]}
            )
        lines.append(_("Certificate: %(subject)s") % {"subject": signature["signer_subject"]})
    if signature["registry_seal"]:
        lines.append(
            _(
                "This is the registry's seal: an electronic signature made through the registry "
                "for the person and company named, not the company's own digital signature."
            )
        )
    lines.append(
        _("Intact: the signed content has not been altered.")
        if signature["intact"] and signature["valid"]
        else _("Not intact: the signed content was altered or the signature is damaged.")
    )
    lines.append(
        _("Trusted: the certificate chains to a trusted certification authority.")
        if signature["trusted"]
        else _("Not trusted.")
    )
    if signature["revoked"]:
        lines.append(
            _("The certificate was revoked on %(time)s.") % {"time": _when(signature["revoked_at"])}
            if signature["revoked_at"]
            else _("The certificate has been revoked.")
        )
    elif signature["trusted"]:
        lines.append(_("The certificate is not revoked."))
    if signature["certification"]:
        lines.append(_("This is the certification signature (the first, by the authority)."))
        permission = PERMISSIONS.get(signature["permission"] or "")
        if permission:
            lines.append(permission())
    modification = MODIFICATIONS.get(signature["modification_level"] or "")
    if modification:
        lines.append(modification())
    if signature["pades_level"]:
        lines.append(_("PAdES level: %(level)s") % {"level": signature["pades_level"]})
    for problem in signature["problems"]:
        lines.append(problem["message"])
    return {"title": title, "ok": signature["ok"], "lines": _unique(lines)}


def _unique(lines: list) -> list:
    seen, unique = set(), []
    for line in map(str, lines):
        if line not in seen:
            seen.add(line)
            unique.append(line)
    return unique


def describe(verdict: Verdict) -> dict:
    """{"ok", "summary", "sha256", "problems", "signatures": [...]} in the active language."""
    data = verdict.as_dict()
    if verdict.ok:
        summary = _(
            "Every signature is intact, valid and trusted, and the document was not changed "
            "after its last signature."
        )
    else:
        summary = _("This document does not pass verification.")
    return {
        "ok": verdict.ok,
        "summary": summary,
        "sha256": data["sha256"],
        "problems": [problem["message"] for problem in data["problems"]],
        "signatures": [describe_signature(signature) for signature in data["signatures"]],
        "raw": data,
    }


def verdict_for(pdf: bytes) -> Verdict:
    """The verdict on `pdf` with the deployment's trust settings; any failure at all (even in
    the configuration) is a verdict with its reason, never an exception."""
    try:
        return SigningSetup.from_settings().verify(pdf)
    except Exception:
        logger.exception("Verification failed")
        return Verdict(
            sha256=hashlib.sha256(pdf).hexdigest(),
            problems=(
                Problem("verification_failed", gettext_lazy("The file could not be checked.")),
            ),
        )
