"""Write an MoU's PDF to a file: by default the current one (the frozen PDF once sent, else the
latest draft PDF); with --final the signed PDF, with --certificate the completion certificate.

The MoU is named by its document number (12/BGN-UBND, or just 12: two authorities may both
have a 12/BGN-UBND, then --authority or --year decide), by its public identifier (the one in
its verification link), or by its database id written id:57."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from partnerships.documents.engine.errors import DocumentError
from partnerships.models import DOCUMENT_TYPE_CODE, Mou, MouDocument
from partnerships.mous.lifecycle import MouError
from partnerships.signing.certificate import completion_certificate
from partnerships.signing.revisions import final_revision


def _described(mou: Mou) -> str:
    return f"{mou.document_number} {mou.year} {mou.authority.name} (id:{mou.pk})"


def find_mou(identifier: str, *, authority: str | None = None, year: int | None = None) -> Mou:
    """The one MoU `identifier` names (see the module's docstring); ambiguity is an error
    that lists the candidates with an identifier each."""
    mous = Mou.objects.select_related("authority")
    if identifier.startswith("id:"):
        found = mous.filter(pk=int(identifier[3:])) if identifier[3:].isdigit() else []
        if not found:
            raise CommandError(f"No MoU has the id {identifier[3:]!r}.")
        return found[0]
    by_public_id = mous.filter(public_id=identifier).first()
    if by_public_id is not None:
        return by_public_id
    head, _, code = identifier.partition("/")
    if not head.isdigit():
        raise CommandError(
            f"{identifier!r} is neither an MoU number such as 12/{DOCUMENT_TYPE_CODE}-UBND, "
            "a public identifier, nor an id such as id:57."
        )
    mous = mous.filter(number=int(head))
    if code:
        authority_code = code.removeprefix(f"{DOCUMENT_TYPE_CODE}-")
        mous = mous.filter(authority__code=authority_code)
    if authority:
        mous = mous.filter(authority__name__icontains=authority)
    if year:
        mous = mous.filter(year=year)
    found = list(mous.order_by("year", "pk")[:10])
    if not found:
        raise CommandError(f"No MoU numbered {identifier}.")
    if len(found) > 1:
        choices = "; ".join(_described(mou) for mou in found)
        raise CommandError(
            f"Several MoUs match {identifier}: {choices}. "
            "Add --authority or --year, or name one by its id (id:57)."
        )
    return found[0]


def _current_pdf(mou: Mou) -> bytes:
    if mou.signable_document_id:
        document_id = mou.signable_document_id
    else:
        ready = mou.ready_document()
        if ready is None:
            raise CommandError(
                f"{mou.document_number} has no PDF yet: prepare its documents first."
            )
        document_id = ready.pk
    return bytes(MouDocument.objects.values_list("pdf", flat=True).get(pk=document_id))


def _final_pdf(mou: Mou) -> bytes:
    final = final_revision(mou)
    if final is None:
        raise CommandError(f"{mou.document_number} is not signed by both parties in the registry.")
    return bytes(mou.pdf_revisions.values_list("pdf", flat=True).get(pk=final.pk))


def _certificate_pdf(mou: Mou) -> bytes:
    if final_revision(mou) is None:
        raise CommandError(f"{mou.document_number} is not signed by both parties in the registry.")
    try:
        return bytes(completion_certificate(mou).pdf)
    except (MouError, DocumentError) as error:
        raise CommandError(error.message) from error


class Command(BaseCommand):
    help = (
        "Write an MoU's PDF to a file: the current one (the frozen one once sent), "
        "the final signed one (--final) or the completion certificate (--certificate)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "mou",
            help=(
                "Document number (12/BGN-UBND), public identifier, or id:DATABASE_ID "
                "(put -- before an older identifier that starts with -)"
            ),
        )
        parser.add_argument("--out", required=True, help="File to write")
        parser.add_argument("--authority", help="Part of the authority's name, to disambiguate")
        parser.add_argument("--year", type=int, help="Year of the MoU, to disambiguate")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--final", action="store_true", help="The final signed PDF")
        which.add_argument("--certificate", action="store_true", help="The completion certificate")

    def handle(self, *args, mou, out, authority=None, year=None, final=False, **options):
        found = find_mou(mou, authority=authority, year=year)
        if final:
            pdf = _final_pdf(found)
        elif options.get("certificate"):
            pdf = _certificate_pdf(found)
        else:
            pdf = _current_pdf(found)
        Path(out).write_bytes(pdf)
        self.stdout.write(
            f"Wrote {out} ({len(pdf)} bytes) for {found.document_number} {found.year} "
            f"{found.authority.name}."
        )
