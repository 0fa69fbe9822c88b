"""Write an MoU's current PDF to a file: the frozen PDF once sent, else the latest draft PDF."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from partnerships.models import DOCUMENT_TYPE_CODE, Mou, MouDocument


def find_mou(number: str, *, authority: str | None, year: int | None) -> Mou:
    """Find an MoU by its document number (12/BGN-UBND, or just 12); ambiguity is an error."""
    head, _, code = number.partition("/")
    if not head.isdigit():
        raise CommandError(f"{number!r} is not an MoU number such as 12/{DOCUMENT_TYPE_CODE}-UBND.")
    mous = Mou.objects.filter(number=int(head)).select_related("authority")
    if code:
        authority_code = code.removeprefix(f"{DOCUMENT_TYPE_CODE}-")
        mous = mous.filter(authority__code=authority_code)
    if authority:
        mous = mous.filter(authority__name__icontains=authority)
    if year:
        mous = mous.filter(year=year)
    found = list(mous[:10])
    if not found:
        raise CommandError(f"No MoU numbered {number}.")
    if len(found) > 1:
        choices = "; ".join(f"{m.document_number} {m.year} {m.authority.name}" for m in found)
        raise CommandError(f"Several MoUs match {number}: {choices}. Add --authority or --year.")
    return found[0]


class Command(BaseCommand):
    help = "Write an MoU's current PDF (the frozen one once sent) to a file."

    def add_arguments(self, parser):
        parser.add_argument("number", help="Document number, e.g. 12/BGN-UBND")
        parser.add_argument("--out", required=True, help="File to write")
        parser.add_argument("--authority", help="Part of the authority's name, to disambiguate")
        parser.add_argument("--year", type=int, help="Year of the MoU, to disambiguate")

    def handle(self, *args, number, out, authority=None, year=None, **options):
        mou = find_mou(number, authority=authority, year=year)
        if mou.signable_document_id:
            document_id = mou.signable_document_id
        else:
            ready = mou.ready_document()
            if ready is None:
                raise CommandError(
                    f"{mou.document_number} has no PDF yet: prepare its documents first."
                )
            document_id = ready.pk
        pdf = MouDocument.objects.values_list("pdf", flat=True).get(pk=document_id)
        Path(out).write_bytes(bytes(pdf))
        self.stdout.write(f"Wrote {out} ({len(pdf)} bytes) for {mou.document_number} {mou.year}.")
