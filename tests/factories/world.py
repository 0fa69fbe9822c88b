"""The world of the tests built in plain code: authorities, partners, users with their roles,
and MoUs walked to any state through the lifecycle services."""

from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.utils import timezone

from partnerships import formats
from partnerships.models import (
    Assessment,
    Mou,
    MouState,
    Pledge,
    PledgeKind,
    Review,
    ReviewKind,
    Signature,
    SignatureMethod,
    SignatureParty,
    TargetGroup,
    UserProfile,
)
from tests.factories.documents import attach_ready_document


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
            mou=mou, line=1, kind=PledgeKind.JOB, quantity=5, occupation="Công nhân may"
        )
        pledge.target_groups.add(TargetGroup.objects.get(code="completed_prison"))
        attach_ready_document(mou)
    return mou


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
    from partnerships.mous import lifecycle

    for action, reason in PATHS[state]:
        if action == "sign":
            add_verified_signatures(mou)
        if action == "review":
            add_final_review(mou)
        lifecycle.perform(mou, action, actor=None, note=reason)
    assert mou.state == state
    return mou


def dmy(day):
    """A date as people type it into the forms: dd/mm/yyyy."""
    return formats.day(day)


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
