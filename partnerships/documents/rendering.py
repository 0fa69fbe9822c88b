"""Services that turn an MoU into its documents: fill the template, convert, add fields.

`request_document` records a queued rendering and hands the work to the background task
`render_mou_document` (defined here, beside the work it runs) once the transaction commits;
`render_document` does the work.
A failure is stored on the document as a code (shown in the reader's language): the MoU
itself never changes state here, so it stays a draft the user can fix and retry.
`sweep_stale_renderings` (run by the sweeper) fails or requeues renderings whose worker died.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django_tasks import task

from partnerships.authorities.permissions import can_manage_mou
from partnerships.core.task_results import task_state
from partnerships.documents.engine.anchors import SIGNATURE_ANCHORS
from partnerships.documents.engine.convert import ConversionError
from partnerships.documents.engine.errors import DocumentError
from partnerships.documents.engine.fields import SignatureFieldError
from partnerships.documents.engine.fill import TemplateError
from partnerships.documents.engine.formatting import date_in_full, money, short_date
from partnerships.models import (
    Mou,
    MouDocument,
    PledgeKind,
    RenderStatus,
    sha256_hex,
)

logger = logging.getLogger(__name__)


def _wage(pledge) -> int | None:
    """The pledged minimum wage, or None where no wage applies: a training line, or a line
    without an amount (printed "—", never "0")."""
    if pledge.kind == PledgeKind.VOCATIONAL_TRAINING or not pledge.min_monthly_wage:
        return None
    return pledge.min_monthly_wage


def document_context(mou: Mou, *, language: str, document_date) -> dict:
    """Everything a template may use. The names here are the variables the registry
    provides; an uploaded template using any other name is refused. The parties are
    `mou.parties`: live for a draft, as fixed for a sent MoU."""
    authority = mou.authority
    parties = mou.parties
    with translation.override(language):
        pledges = [
            {
                "index": pledge.line,
                "kind": str(pledge.get_kind_display()),
                "quantity": pledge.quantity,
                "target_groups": "; ".join(str(group) for group in pledge.target_groups.all()),
                "occupation": pledge.occupation,
                "min_monthly_wage": money(_wage(pledge), language),
                "workplace": pledge.workplace,
                "due_date": short_date(pledge.due_date),
            }
            for pledge in mou.pledges.order_by("line").prefetch_related("target_groups")
        ]
    return {
        "document_number": mou.document_number,
        "document_date": date_in_full(document_date, language),
        "place_name": parties.place_name or parties.authority_name,
        "title": mou.title,
        "authority": {
            "name": parties.authority_name,
            "parent_name": authority.parent.name if authority.parent_id else "",
            "address": parties.authority_address,
            "code": parties.authority_code,
        },
        "partner": {
            "name": parties.partner_name,
            "tax_code": parties.partner_tax_code,
            "address": parties.partner_address,
        },
        "authority_signatory": {
            "name": mou.authority_signatory_name,
            "position": mou.authority_signatory_position,
        },
        "partner_signatory": {
            "name": parties.signatory_name,
            "position": parties.signatory_position,
        },
        "pledges": pledges,
        "pledged_total": sum(pledge["quantity"] for pledge in pledges),
        "term_start": date_in_full(mou.term_start, language),
        "term_end": date_in_full(mou.term_end, language),
        "mid_review_date": date_in_full(mou.mid_review_date, language),
        "final_review_date": date_in_full(mou.final_review_date, language),
        # Markers the template prints (invisibly) where each signature field goes.
        "sign_here_authority": SIGNATURE_ANCHORS["authority"],
        "sign_here_business": SIGNATURE_ANCHORS["business"],
    }


# The variables document_context() provides; an uploaded template may use only these.
PROVIDED_VARIABLES = frozenset(
    {
        "document_number",
        "document_date",
        "place_name",
        "title",
        "authority",
        "partner",
        "authority_signatory",
        "partner_signatory",
        "pledges",
        "pledged_total",
        "term_start",
        "term_end",
        "mid_review_date",
        "final_review_date",
        "sign_here_authority",
        "sign_here_business",
    }
)

# The variables that mark where the two signature fields go: every template needs both.
SIGNATURE_ANCHOR_VARIABLES = frozenset({"sign_here_authority", "sign_here_business"})


def current_document(mou: Mou) -> MouDocument | None:
    """The newest rendering of the MoU's current revision, whatever its status."""
    return (
        mou.documents.filter(mou_revision=mou.revision)
        .defer("docx", "pdf")
        .select_related("template_version__template")
        .first()
    )


def request_document(mou: Mou, *, actor) -> MouDocument:
    """Queue a rendering of the MoU's current revision; the work starts after commit.
    Raises PermissionDenied for anyone who does not manage the MoU."""
    if not can_manage_mou(actor, mou):
        raise PermissionDenied
    version = mou.template.latest_version()
    document = MouDocument.objects.create(
        mou=mou, mou_revision=mou.revision, template_version=version, requested_by=actor
    )
    transaction.on_commit(lambda: render_mou_document.enqueue(document.pk))
    return document


def render_now(mou: Mou, *, actor) -> MouDocument:
    """Render the current revision in this process (seed data, command line)."""
    version = mou.template.latest_version()
    document = MouDocument.objects.create(
        mou=mou, mou_revision=mou.revision, template_version=version, requested_by=actor
    )
    return render_document(document.pk)


def produce_signable_pdf(mou: Mou, template_docx: bytes, *, language: str, document_date):
    """Fill, convert and add the two signature fields. Returns (docx, pdf); the parties
    printed are `mou.parties` read just before (render_document records them)."""
    from partnerships.documents.engine.convert import convert_docx_to_pdf
    from partnerships.documents.engine.fields import prepare_signable_pdf
    from partnerships.documents.engine.fill import fill_template

    context = document_context(mou, language=language, document_date=document_date)
    docx = fill_template(template_docx, context)
    pdf = convert_docx_to_pdf(
        docx,
        timeout=settings.DOCUMENT_CONVERSION_TIMEOUT,
        unoserver_host=settings.UNOSERVER_HOST,
        unoserver_ports=settings.CONVERTER_PORTS,
    )
    return docx, prepare_signable_pdf(pdf)


def _finish(document: MouDocument, status: str, **fields) -> None:
    # Only a rendering still running is finished: one the sweeper gave up on (its worker
    # seemed dead, or it ran past the limit) stays failed, and a late result is dropped.
    MouDocument.objects.filter(pk=document.pk, status=RenderStatus.RUNNING).update(
        status=status, finished_at=timezone.now(), **fields
    )


def _error_fields(error: DocumentError, version) -> dict:
    """The code (and parameters) stored for a failed rendering, worded when shown."""
    if isinstance(error, ConversionError):
        return {"error_code": f"conversion_{error.reason}"}
    if isinstance(error, TemplateError):
        params = {"version": version.number, "template": version.template.name}
        return {"error_code": "template", "error_params": params}
    if isinstance(error, SignatureFieldError):
        return {"error_code": "signature_fields"}
    return {"error_code": "internal"}


def sweep_stale_renderings(*, now=None) -> dict[str, int]:
    """Give a final state to renderings left behind (the sweeper's part for documents).

    - waiting or running past RENDERING_TIME_LIMIT: failed ("not prepared in time");
    - running, with no live task (its worker died): failed ("interrupted"). Not requeued:
      a document that killed its worker (a hostile template, memory) would kill the next;
    - waiting, with no live task (the queueing was lost, or the worker died before it
      started): queued again, which is safe as nothing has started.
    The page then offers to try again. Rows younger than one heartbeat are left alone: their
    task may be queued only now, after the request's commit.
    """
    now = now or timezone.now()
    too_old = now - timedelta(seconds=settings.RENDERING_TIME_LIMIT)
    settled = now - timedelta(seconds=settings.WORKER_HEARTBEAT_INTERVAL)
    counts = {"failed": 0, "requeued": 0}
    stale = MouDocument.objects.filter(
        status__in=[RenderStatus.QUEUED, RenderStatus.RUNNING], created_at__lt=settled
    ).only("pk", "status", "created_at")
    for document in stale:
        if document.created_at < too_old:
            counts["failed"] += _give_up(document, "timed_out", now)
            continue
        state = task_state("render_mou_document", document.pk)
        if state == "live":
            continue
        if document.status == RenderStatus.RUNNING:
            counts["failed"] += _give_up(document, "interrupted", now)
        else:
            render_mou_document.enqueue(document.pk)
            counts["requeued"] += 1
    return counts


def _give_up(document: MouDocument, code: str, now) -> int:
    logger.warning("Rendering of MoU document %s given up: %s", document.pk, code)
    return MouDocument.objects.filter(
        pk=document.pk, status__in=[RenderStatus.QUEUED, RenderStatus.RUNNING]
    ).update(status=RenderStatus.FAILED, error_code=code, error_params={}, finished_at=now)


@task()
def render_mou_document(document_id: int) -> str:
    """Background job: fill, convert and prepare the signable PDF of one queued document."""
    return render_document(document_id).status


def render_document(document_id: int) -> MouDocument:
    """Do the rendering for a queued document; store the result or the reason it failed."""
    document = MouDocument.objects.select_related(
        "mou__authority__parent",
        "mou__partner",
        "mou__partner_signatory",
        "template_version__template",
    ).get(pk=document_id)
    if document.status != RenderStatus.QUEUED:
        return document  # already done by another worker
    claimed = MouDocument.objects.filter(pk=document.pk, status=RenderStatus.QUEUED).update(
        status=RenderStatus.RUNNING
    )
    if not claimed:
        return document
    version = document.template_version
    # What the document prints of the parties, read once: sending fixes exactly these.
    parties = document.mou.parties.as_dict()
    try:
        docx, pdf = produce_signable_pdf(
            document.mou,
            bytes(version.docx),
            language=version.template.language,
            document_date=timezone.localdate(),
        )
    except DocumentError as error:
        logger.info(
            "Rendering of MoU document %s failed: %s", document.pk, error.__class__.__name__
        )
        _finish(document, RenderStatus.FAILED, **_error_fields(error, version))
    except Exception:
        logger.exception("Rendering of MoU document %s crashed", document.pk)
        _finish(document, RenderStatus.FAILED, error_code="internal")
    else:
        _finish(
            document,
            RenderStatus.READY,
            docx=docx,
            pdf=pdf,
            pdf_sha256=sha256_hex(pdf),
            parties=parties,
        )
    document.refresh_from_db()
    return document
