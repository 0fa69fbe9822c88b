"""pyHanko's difference analysis, answered from our allow-list of modifications, once per
document.

pyHanko validates each signature with a difference analysis of every update after it
(`DiffPolicy.review_file`). Its standard policy maps every object of every revision back to
the document's root, once per revision: on a final MoU (eight revisions, a tagged structure
tree) that was 60% of a verification, and it judged the same updates again for each
signature. Our allow-list (modifications.py) already judges every update after the first
signature, more strictly than pyHanko's broad levels (any change outside a few known roles is
refused), so verification asks it once and answers pyHanko from its findings:

- an update with a reason outside the allow-list is OTHER (the signature then reports the
  changes as not permitted, and the document carries the reason);
- an update signing a prepared field is FORM_FILLING, and the field counts as changed (a
  FieldMDP lock of an earlier signature on it is a suspicious modification);
- validation data, invisible document timestamps and bookkeeping are LTA_UPDATES;
- an update that writes no object is NONE.

pyHanko compares that level with the certification's DocMDP permission as before (a
certification that allows no changes refuses a later signature).
"""

from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    DiffPolicy,
    DiffResult,
    ModificationLevel,
    SuspiciousModification,
)

from partnerships.signing.pdf import modifications
from partnerships.signing.pdf.problems import Problem


class AllowListDiffPolicy(DiffPolicy):
    """The allow-list's findings on `reader` (with its readable `signatures`), worked out on
    first use and shared by every signature validated with this policy."""

    def __init__(self, reader: PdfFileReader, signatures):
        self._reader = reader
        self._signatures = list(signatures)
        self._findings: dict[int, modifications.RevisionFindings] | None = None

    @property
    def findings(self) -> dict[int, modifications.RevisionFindings]:
        if self._findings is None:
            reviewed = modifications.review_revisions(self._reader, self._signatures)
            self._findings = {f.number: f for f in reviewed}
        return self._findings

    def problems(self) -> list[Problem]:
        """The document's modification problems: one per reason, in a stable order."""
        return modifications.problems_of(self.findings.values())

    def apply(
        self, old: HistoricalResolver, new: HistoricalResolver, field_mdp_spec=None, doc_mdp=None
    ):
        result = self._judge(range(old.revision + 1, new.revision + 1), field_mdp_spec)
        if isinstance(result, SuspiciousModification):
            raise result
        return result

    def review_file(self, reader, base_revision, field_mdp_spec=None, doc_mdp=None):
        if reader is not self._reader:  # not the document this policy reviewed
            return DEFAULT_DIFF_POLICY.review_file(reader, base_revision, field_mdp_spec, doc_mdp)
        base = base_revision if isinstance(base_revision, int) else base_revision.revision
        return self._judge(range(base + 1, reader.xrefs.total_revisions), field_mdp_spec)

    def _judge(self, revisions: range, field_mdp_spec) -> DiffResult | SuspiciousModification:
        level, signed_fields = ModificationLevel.NONE, set()
        for number in revisions:
            found = self.findings.get(number)
            if found is None:  # before the first signature: never after a signature
                return SuspiciousModification(f"Revision {number} was not reviewed.")
            level = max(level, found.level)
            if found.signed_field is not None:
                signed_fields.add(found.signed_field)
        if field_mdp_spec is not None:
            locked = sorted(name for name in signed_fields if field_mdp_spec.is_locked(name))
            if locked:
                return SuspiciousModification(f"Locked fields were signed: {', '.join(locked)}.")
        return DiffResult(modification_level=level, changed_form_fields=signed_fields)
