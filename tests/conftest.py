"""Shared actors for tests, built in plain code: each role, and an outsider of each kind.

The world: province Long An with communes Bến Lức and Thạnh Lợi and a dissolved district
(Bến Lức district) whose successor is Bến Lức commune; a second province, Hà Nam, with the
commune Kim Bảng. Two partners, one in each province.
"""

import functools
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.utils import timezone

from partnerships.models import (
    Assessment,
    Authority,
    AuthorityLevel,
    Contact,
    Mou,
    MouDocument,
    MouState,
    Partner,
    Pledge,
    PledgeKind,
    RenderStatus,
    Review,
    ReviewKind,
    Role,
    Signature,
    SignatureMethod,
    SignatureParty,
    TargetGroup,
    UserProfile,
    sha256_hex,
)


class World:
    pass


def make_user(username, role=None, *, authority=None, partner=None, superuser=False):
    user = User.objects.create_user(username=username, password="pw-" + username)
    if superuser:
        user.is_superuser = user.is_staff = True
        user.save()
    if role:
        user.groups.add(Group.objects.get(name=role))
    UserProfile.objects.create(user=user, authority=authority, partner=partner)
    return user


def make_mou(authority, partner, *, number=None, ready=True, **fields):
    """A draft MoU; `ready` gives it what sending needs (pledge, signatories, term)."""
    today = timezone.localdate()
    number = number or (Mou.objects.filter(authority=authority).count() + 1)
    defaults = {
        "title": f"MoU {number}",
        "year": today.year,
        "number": number,
    }
    if ready:
        defaults |= {
            "authority_signatory_name": "Võ Minh Tâm",
            "authority_signatory_position": "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH",
            "partner_signatory": partner.contacts.get(is_legal_representative=True),
            "term_start": today - timedelta(days=1),
            "term_end": today + timedelta(days=365),
        }
    mou = Mou.objects.create(authority=authority, partner=partner, **(defaults | fields))
    if ready:
        pledge = Pledge.objects.create(
            mou=mou, kind=PledgeKind.JOB, quantity=5, occupation="Công nhân may"
        )
        pledge.target_groups.add(TargetGroup.objects.get(code="completed_prison"))
        attach_ready_document(mou)
    return mou


@functools.cache
def sample_documents() -> tuple[bytes, bytes]:
    """A real DOCX and signable PDF, rendered once per test session with the real template,
    LibreOffice and pyHanko. Lifecycle tests need *a* finished document to send; the
    document tests check the rendering of each MoU itself."""
    from partnerships.documents.convert import convert_docx_to_pdf
    from partnerships.documents.fields import prepare_signable_pdf
    from partnerships.documents.templates import fill_template
    from partnerships.template_library import _SAMPLE_CONTEXT

    docx = fill_template(
        (settings.BASE_DIR / "mou_templates" / "bgn_vi.docx").read_bytes(), _SAMPLE_CONTEXT
    )
    pdf = prepare_signable_pdf(
        convert_docx_to_pdf(docx), blocks={"authority": "A", "business": "C"}
    )
    return docx, pdf


def attach_ready_document(mou) -> MouDocument:
    """Give the MoU's current revision a finished document, as a completed rendering would."""
    docx, pdf = sample_documents()
    return MouDocument.objects.create(
        mou=mou,
        mou_revision=mou.revision,
        template_version=mou.template.latest_version(),
        status=RenderStatus.READY,
        docx=docx,
        pdf=pdf,
        pdf_sha256=sha256_hex(pdf),
    )


@pytest.fixture
def world(db):
    w = World()
    w.long_an = Authority.objects.create(
        name="UBND tỉnh Long An", level=AuthorityLevel.PROVINCE, code="UBND"
    )
    w.ben_luc = Authority.objects.create(
        name="UBND xã Bến Lức", level=AuthorityLevel.COMMUNE, parent=w.long_an, code="UBND"
    )
    w.thanh_loi = Authority.objects.create(
        name="UBND xã Thạnh Lợi", level=AuthorityLevel.COMMUNE, parent=w.long_an, code="UBND"
    )
    w.ben_luc_district = Authority.objects.create(
        name="UBND huyện Bến Lức",
        level=AuthorityLevel.DISTRICT,
        parent=w.long_an,
        successor=w.ben_luc,
        code="UBND",
        is_dissolved=True,
    )
    w.ha_nam = Authority.objects.create(
        name="UBND tỉnh Hà Nam", level=AuthorityLevel.PROVINCE, code="UBND"
    )
    w.kim_bang = Authority.objects.create(
        name="UBND phường Kim Bảng", level=AuthorityLevel.COMMUNE, parent=w.ha_nam, code="UBND"
    )

    w.garment = Partner.objects.create(
        name="Công ty May Bến Lức", tax_code="0312345678", registered_by=w.ben_luc
    )
    Contact.objects.create(
        partner=w.garment,
        full_name="Nguyễn Thị Hoa",
        position="Giám đốc",
        email="hoa@example.com",
        is_legal_representative=True,
    )
    w.quarry = Partner.objects.create(
        name="Công ty Đá Kim Bảng", tax_code="0700000001", registered_by=w.kim_bang
    )
    Contact.objects.create(
        partner=w.quarry,
        full_name="Lê Văn Sơn",
        position="Giám đốc",
        email="son@example.com",
        is_legal_representative=True,
    )

    w.staff = make_user("staff", Role.AUTHORITY_STAFF, authority=w.ben_luc)
    w.official = make_user("official", Role.OFFICIAL, authority=w.long_an)
    w.business = make_user("business", Role.BUSINESS_REPRESENTATIVE, partner=w.garment)
    w.admin = make_user("admin", Role.ADMINISTRATOR, superuser=True)
    # Outsiders, one of each kind.
    w.other_staff = make_user("other_staff", Role.AUTHORITY_STAFF, authority=w.thanh_loi)
    w.other_province_official = make_user("other_official", Role.OFFICIAL, authority=w.ha_nam)
    w.other_business = make_user("other_business", Role.BUSINESS_REPRESENTATIVE, partner=w.quarry)
    w.no_role = make_user("no_role")

    w.mou = make_mou(w.ben_luc, w.garment)
    return w


# --- Moving MoUs through their lifecycle (always through the real transitions) ---

# The path from draft to each state; each step is (action, reason or "").
PATHS = {
    MouState.DRAFT: [],
    MouState.SENT: [("send", "")],
    MouState.SIGNED: [("send", ""), ("sign", "")],
    MouState.ACTIVE: [("send", ""), ("sign", ""), ("activate", "")],
    MouState.REVIEWED: [("send", ""), ("sign", ""), ("activate", ""), ("review", "")],
    MouState.DECLINED: [("send", ""), ("decline", "Chưa đủ nhu cầu tuyển dụng.")],
    MouState.CANCELLED: [("cancel", "Đối tác chưa sẵn sàng.")],
    MouState.TERMINATED: [
        ("send", ""),
        ("sign", ""),
        ("activate", ""),
        ("terminate", "Doanh nghiệp ngừng hoạt động."),
    ],
}


def add_verified_signatures(mou):
    """What `sign` needs: a verified signature of each party (created directly for now)."""
    for party, name in [
        (SignatureParty.AUTHORITY, mou.authority_signatory_name or "Võ Minh Tâm"),
        (SignatureParty.BUSINESS, "Nguyễn Thị Hoa"),
    ]:
        Signature.objects.get_or_create(
            mou=mou,
            party=party,
            defaults={
                "method": SignatureMethod.DEMO,
                "signer_name": name,
                "signed_at": timezone.now(),
                "is_verified": True,
            },
        )


def add_final_review(mou):
    """What `review` needs: a final review on record."""
    return Review.objects.create(
        mou=mou,
        kind=ReviewKind.FINAL,
        reviewed_on=timezone.localdate(),
        assessment=Assessment.MET,
    )


def bring_to(mou, state):
    """Walk `mou` (a ready draft) to `state` through the lifecycle services, as the system."""
    from partnerships import lifecycle

    for action, reason in PATHS[state]:
        if action == "sign":
            add_verified_signatures(mou)
        if action == "review":
            add_final_review(mou)
        lifecycle.perform(mou, action, actor=None, note=reason)
    assert mou.state == state
    return mou


@pytest.fixture
def client_as(db):
    """A logged-in test client that asks for English pages (stable message text whether or
    not the Vietnamese catalogue is compiled); `client_as(None)` stays anonymous."""
    from django.test import Client

    def login(user, language="en"):
        browser = Client(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            browser.force_login(user)
        return browser

    return login


# --- What the pages' forms post ---


def dmy(day):
    """A date as people type it into the forms: dd/mm/yyyy."""
    return day.strftime("%d/%m/%Y")


def _pledge_fields(prefix, pledge):
    return {
        f"{prefix}-kind": pledge.get("kind", PledgeKind.JOB),
        f"{prefix}-quantity": pledge.get("quantity", 5),
        f"{prefix}-target_groups": pledge.get(
            "target_groups", [TargetGroup.objects.get(code="completed_prison").pk]
        ),
        f"{prefix}-occupation": pledge.get("occupation", "Công nhân may"),
        f"{prefix}-min_monthly_wage": pledge.get("min_monthly_wage", ""),
        f"{prefix}-workplace": pledge.get("workplace", ""),
        f"{prefix}-due_date": pledge.get("due_date", ""),
    }


def mou_form_data(*, authority, partner, pledges=None, mou=None, **fields):
    """The POST body of the MoU create/edit form. Pass `mou` to edit it (its pledges are
    posted back unchanged and its current revision is carried); `fields` override values."""
    today = timezone.localdate()
    data = {
        "authority": authority.pk,
        "year": today.year,
        "number": "",
        "title": "Tiếp nhận lao động ngành may",
        "partner": partner.pk,
        "partner_signatory": partner.contacts.get(is_legal_representative=True).pk,
        "authority_signatory_name": "Võ Minh Tâm",
        "authority_signatory_position": "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH",
        "template": "bgn_vi",
        "language": "vi",
        "term_start": dmy(today + timedelta(days=30)),
        "term_end": dmy(today + timedelta(days=395)),
        "mid_review_date": "",
        "final_review_date": "",
        "notes": "",
    }
    existing = []
    if mou is not None:
        data |= {
            "year": mou.year,
            "number": mou.number,
            "title": mou.title,
            "term_start": dmy(mou.term_start) if mou.term_start else "",
            "term_end": dmy(mou.term_end) if mou.term_end else "",
            "revision": mou.revision,
        }
        existing = list(mou.pledges.all())
    data |= fields
    pledges = [{}] if pledges is None else pledges
    data |= {
        "pledges-TOTAL_FORMS": len(existing) + len(pledges),
        "pledges-INITIAL_FORMS": len(existing),
        "pledges-MIN_NUM_FORMS": 0,
        "pledges-MAX_NUM_FORMS": 1000,
    }
    for index, pledge in enumerate(existing):
        data |= _pledge_fields(
            f"pledges-{index}",
            {
                "kind": pledge.kind,
                "quantity": pledge.quantity,
                "occupation": pledge.occupation,
                "target_groups": [group.pk for group in pledge.target_groups.all()],
            },
        )
        data[f"pledges-{index}-id"] = pledge.pk
    for index, pledge in enumerate(pledges, start=len(existing)):
        data |= _pledge_fields(f"pledges-{index}", pledge)
    return data


def partner_form_data(*, contacts=None, **fields):
    """The POST body of the partner register form, with one legal representative."""
    data = {
        "name": "Hợp tác xã Dịch vụ Thạnh Lợi",
        "tax_code": "1101234567",
        "address": "Thạnh Lợi, Long An",
        "sector": "Dịch vụ",
        "workforce_size": 40,
        "status": "active",
    } | fields
    contacts = (
        [{"full_name": "Trần Văn An", "position": "Giám đốc", "is_legal_representative": "on"}]
        if contacts is None
        else contacts
    )
    data |= {
        "contacts-TOTAL_FORMS": len(contacts),
        "contacts-INITIAL_FORMS": 0,
        "contacts-MIN_NUM_FORMS": 0,
        "contacts-MAX_NUM_FORMS": 1000,
    }
    for index, contact in enumerate(contacts):
        data |= {f"contacts-{index}-{name}": value for name, value in contact.items()}
    return data
