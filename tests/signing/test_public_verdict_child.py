"""/verify/ keeps the page comparison of each file it checked, by SHA-256, for the next
children. The digest is the parent's own: a child taken over by a hostile file must not file
"no visible difference" under the digest of another document."""

import hashlib

from partnerships.signing import public_verdicts
from partnerships.signing.pdf import visual
from partnerships.signing.pdf.visual import Comparison

UPLOADED = b"%PDF-1.7\n% any file\n%%EOF\n"


def test_a_child_cannot_file_a_page_comparison_under_another_documents_digest(
    signing_settings, monkeypatch
):
    visual.forget_all()
    victim = "a" * 64
    monkeypatch.setattr(public_verdicts, "structural_problem", lambda pdf: None)
    # What the child answers: a verdict, the victim's digest, and "no difference".
    monkeypatch.setattr(
        public_verdicts, "_checked", lambda *args: ({"ok": False}, victim, Comparison())
    )

    _description, digest = public_verdicts.public_verdict(UPLOADED)

    assert digest == hashlib.sha256(UPLOADED).hexdigest()
    assert visual.remembered(victim) is None
    assert visual.remembered(digest) == Comparison()  # kept, under the file's own digest
