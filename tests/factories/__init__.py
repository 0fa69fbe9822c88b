"""Test data built in plain code, one module per domain. Tests import from here; conftest
files hold only fixtures and hooks.

- world: authorities, partners, users, MoUs in any state, the MoU and partner form bodies;
- documents: the sample DOCX and PDF, PDF text and fonts, built-in and spoiled templates;
- placements: people, placements and import files;
- reports: placements written directly for the report arithmetic;
- signing: the PDF at each signing step, and the signing flow through the pages;
- browser: the Chromium the browser tests drive, and logging in through the form;
- web: the test client that checks CSRF and submits forms as a browser does.

The world's and the documents' helpers are importable from `tests.factories` itself.
"""

from tests.factories.documents import (
    OLE_MAGIC,
    TEMPLATE_DIR,
    a_docx_with_a_damaged_part,
    a_legacy_doc,
    a_png,
    a_truncated_docx,
    a_zip_that_is_not_a_docx,
    an_encrypted_docx,
    attach_ready_document,
    built_in_template,
    fake_soffice,
    pdf_fonts,
    pdf_layout_text,
    pdf_words,
    requires_libreoffice,
    sample_documents,
    stamp_text,
    template_with_paragraph,
    text_box,
    unused_port,
)
from tests.factories.world import (
    PATHS,
    World,
    add_final_review,
    add_verified_signatures,
    bring_to,
    dmy,
    make_mou,
    make_user,
    mou_form_data,
    partner_form_data,
)

__all__ = [
    "OLE_MAGIC",
    "PATHS",
    "TEMPLATE_DIR",
    "World",
    "a_docx_with_a_damaged_part",
    "a_legacy_doc",
    "a_png",
    "a_truncated_docx",
    "a_zip_that_is_not_a_docx",
    "add_final_review",
    "add_verified_signatures",
    "an_encrypted_docx",
    "attach_ready_document",
    "bring_to",
    "built_in_template",
    "dmy",
    "fake_soffice",
    "make_mou",
    "make_user",
    "mou_form_data",
    "partner_form_data",
    "pdf_fonts",
    "pdf_layout_text",
    "pdf_words",
    "requires_libreoffice",
    "sample_documents",
    "stamp_text",
    "template_with_paragraph",
    "text_box",
    "unused_port",
]
