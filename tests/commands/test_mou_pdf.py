"""`manage.py mou_pdf NUMBER --out FILE`: the frozen PDF once sent, the latest finished
draft PDF before, and a clear error when the number does not lead to exactly one MoU."""

import io

import pytest
from django.core.management import CommandError, call_command

from partnerships.models import (
    MouDocument,
    MouState,
    RenderStatus,
    sha256_hex,
)
from tests.factories import bring_to, make_mou


def mou_pdf(*arguments, **options) -> str:
    output = io.StringIO()
    call_command("mou_pdf", *arguments, stdout=output, **options)
    return output.getvalue()


def add_document(mou, *, status=RenderStatus.READY, pdf=b"%PDF-1.7 newer", revision=None):
    return MouDocument.objects.create(
        mou=mou,
        mou_revision=mou.revision if revision is None else revision,
        template_version=mou.template.latest_version(),
        status=status,
        docx=b"PK" if status == RenderStatus.READY else None,
        pdf=pdf if status == RenderStatus.READY else None,
        pdf_sha256=sha256_hex(pdf) if status == RenderStatus.READY else "",
    )


def test_it_writes_the_frozen_pdf_once_sent(world, tmp_path):
    mou = bring_to(world.mou, MouState.SENT)
    # A later rendering exists, but the PDF sent is the one that counts.
    add_document(mou, pdf=b"%PDF-1.7 rendered after sending")
    out = tmp_path / "mou.pdf"

    message = mou_pdf("1/BGN-UBND", out=str(out))

    frozen = bytes(MouDocument.objects.get(pk=mou.signable_document_id).pdf)
    assert out.read_bytes() == frozen
    assert sha256_hex(out.read_bytes()) == mou.signable_pdf_sha256
    assert (
        f"Wrote {out} ({len(frozen)} bytes) for 1/BGN-UBND {mou.year} UBND xã Bến Lức." in message
    )


def test_it_writes_the_latest_finished_pdf_of_a_draft(world, tmp_path):
    mou = world.mou
    newest_ready = add_document(mou, pdf=b"%PDF-1.7 the latest ready one")
    add_document(mou, status=RenderStatus.FAILED)
    add_document(mou, status=RenderStatus.QUEUED)
    out = tmp_path / "draft.pdf"

    mou_pdf("1", out=str(out))

    assert out.read_bytes() == bytes(MouDocument.objects.get(pk=newest_ready.pk).pdf)


def test_a_pdf_of_an_earlier_revision_is_not_the_drafts_pdf(world, tmp_path):
    mou = world.mou
    mou.revision += 1
    mou.save()

    with pytest.raises(CommandError, match=r"1/BGN-UBND has no PDF yet: prepare its documents"):
        mou_pdf("1/BGN-UBND", out=str(tmp_path / "none.pdf"))

    assert not (tmp_path / "none.pdf").exists()


def test_an_unknown_number_is_a_clear_error(world, tmp_path):
    with pytest.raises(CommandError, match=r"^No MoU numbered 99/BGN-UBND\.$"):
        mou_pdf("99/BGN-UBND", out=str(tmp_path / "x.pdf"))


def test_something_that_is_not_a_number_is_a_clear_error(world, tmp_path):
    with pytest.raises(
        CommandError, match=r"'BGN-12' is neither an MoU number such as 12/BGN-UBND"
    ):
        mou_pdf("BGN-12", out=str(tmp_path / "x.pdf"))


def test_an_ambiguous_number_lists_the_candidates(world, tmp_path):
    make_mou(world.thanh_loi, world.garment, number=1)

    with pytest.raises(CommandError) as refused:
        mou_pdf("1/BGN-UBND", out=str(tmp_path / "x.pdf"))

    message = str(refused.value)
    assert message.startswith("Several MoUs match 1/BGN-UBND:")
    assert "UBND xã Bến Lức" in message
    assert "UBND xã Thạnh Lợi" in message
    assert message.endswith("Add --authority or --year, or name one by its id (id:57).")


def test_the_authority_option_picks_one_of_several(world, tmp_path):
    other = make_mou(world.thanh_loi, world.garment, number=1)
    chosen = add_document(other, pdf=b"%PDF-1.7 Thanh Loi")
    out = tmp_path / "thanh-loi.pdf"

    mou_pdf("1/BGN-UBND", out=str(out), authority="Thạnh Lợi")

    assert out.read_bytes() == bytes(MouDocument.objects.get(pk=chosen.pk).pdf)


def test_the_year_option_picks_one_of_several(world, tmp_path):
    last_year = make_mou(world.ben_luc, world.garment, number=1, year=world.mou.year - 1)
    chosen = add_document(last_year, pdf=b"%PDF-1.7 last year")
    out = tmp_path / "last-year.pdf"

    mou_pdf("1", out=str(out), year=world.mou.year - 1)

    assert out.read_bytes() == bytes(MouDocument.objects.get(pk=chosen.pk).pdf)


def test_the_database_id_names_one_of_two_mous_with_the_same_number(world, tmp_path):
    other = make_mou(world.thanh_loi, world.garment, number=1)
    add_document(other, pdf=b"%PDF-1.7 Thanh Loi's")
    out = tmp_path / "other.pdf"

    with pytest.raises(CommandError, match=rf"id:{other.pk}"):
        mou_pdf("1/BGN-UBND", out=str(out))
    message = mou_pdf(f"id:{other.pk}", out=str(out))

    assert out.read_bytes() == b"%PDF-1.7 Thanh Loi's"
    assert "UBND xã Thạnh Lợi" in message


def test_the_public_identifier_names_the_mou(world, tmp_path):
    other = make_mou(world.thanh_loi, world.garment, number=1)
    add_document(other, pdf=b"%PDF-1.7 Thanh Loi's")
    out = tmp_path / "other.pdf"

    mou_pdf(other.public_id, out=str(out))

    assert out.read_bytes() == b"%PDF-1.7 Thanh Loi's"


def test_an_unknown_id_is_a_clear_error(world, tmp_path):
    with pytest.raises(CommandError, match=r"^No MoU has the id '999999'\.$"):
        mou_pdf("id:999999", out=str(tmp_path / "x.pdf"))


def test_there_is_no_final_pdf_before_both_parties_signed(world, tmp_path):
    bring_to(world.mou, MouState.SENT)
    for option in ("final", "certificate"):
        with pytest.raises(CommandError, match="not signed by both parties"):
            mou_pdf("1/BGN-UBND", out=str(tmp_path / "x.pdf"), **{option: True})


def test_new_public_identifiers_never_look_like_an_option(monkeypatch):
    from partnerships.models import signing

    drawn = iter(["-looks-like-an-option", "Ab3_xyz"])
    monkeypatch.setattr(signing.secrets, "token_urlsafe", lambda size: next(drawn))

    assert signing.new_public_id() == "Ab3_xyz"


def test_an_older_identifier_starting_with_a_dash_is_read_after_a_double_dash(world, tmp_path):
    other = make_mou(world.thanh_loi, world.garment, number=1)
    type(other).objects.filter(pk=other.pk).update(public_id="-Xy12")
    add_document(other, pdf=b"%PDF-1.7 dashed")
    out = tmp_path / "dashed.pdf"

    mou_pdf("--out", str(out), "--", "-Xy12")

    assert out.read_bytes() == b"%PDF-1.7 dashed"
