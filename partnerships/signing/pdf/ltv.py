"""Long-term validation: a signature covered by a valid archive timestamp is judged at the
time of that timestamp, not today.

PAdES B-LTA (ETSI EN 319 142-1, validation per EN 319 102-1): the document timestamp proves
that the signatures, and the validation data in the DSS before it, existed at its time. A
signer's certificate that expired or was revoked after that time does not undo the
signature; one revoked before it does. The latest archive timestamp must itself be valid
now; an earlier one whose certificate has since expired counts at the time of the next.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

# What a later time can cause: the certificate expired, was revoked, its status or the
# signature timestamp's can no longer be established now. Anything else (a broken signature,
# a forbidden change, a key usage) is not cured by a proof of existence. "Untrusted" is
# judged again too: a chain whose CA certificate has expired since reads as untrusted.
# (verify's reason codes; verify imports this module.)
TIME_DEPENDENT = {"expired", "revoked", "revocation_unknown", "timestamp_invalid", "untrusted"}

# (index of a report, moment) -> the report of validating that signature at `moment`
Revalidate = Callable[[int, datetime], object]


def _time_dependent_only(report) -> bool:
    return bool(report.problems) and {p.code for p in report.problems} <= TIME_DEPENDENT


def _proof_of_existence(reports: list, index: int) -> datetime | None:
    """The time of the earliest valid document timestamp over the revision `reports[index]`
    signed, or None."""
    signed_revision = reports[index].signed_revision
    for later in reports[index + 1 :]:
        if (
            later.kind == "timestamp"
            and later.ok
            and later.signed_at is not None
            and signed_revision is not None
            and later.signed_revision is not None
            and later.signed_revision > signed_revision
        ):
            return later.signed_at
    return None


def judge_at_archive_time(reports: list, revalidate: Revalidate) -> list:
    """`reports` (in signing order) with each signature or timestamp that fails only for a
    reason time can cause judged again, by `revalidate(index, moment)`, at the time of the
    archive timestamp over it; kept when it is then valid (its `validated_at` says when)."""
    reports = list(reports)
    # From the last: an earlier archive timestamp may count only at the next one's time.
    for index in reversed(range(len(reports))):
        if not _time_dependent_only(reports[index]):
            continue
        moment = _proof_of_existence(reports, index)
        if moment is None:
            continue
        again = revalidate(index, moment)
        if again is not None and again.ok:
            reports[index] = replace(again, validated_at=moment)
    return reports


def last_archive_expiry(pdf: bytes) -> datetime | None:
    """When the certificate of the last document timestamp in `pdf` expires; None when the
    PDF has no document timestamp (or it cannot be read)."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        timestamps = [e for e in reader.embedded_signatures if e.sig_object_type == "/DocTimeStamp"]
        if not timestamps:
            return None
        return timestamps[-1].signer_cert["tbs_certificate"]["validity"]["not_after"].native
    except Exception:
        return None
