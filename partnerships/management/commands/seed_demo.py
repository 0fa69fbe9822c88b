"""Create demonstration data: authorities, partners, one user per role, MoUs in every state.

The signed, active, reviewed and terminated MoUs are really signed (PAdES) with a DEMO PKI
made under DEMO_PKI_DIR on the first run (never committed; trusted only by the demo).

Running it again changes nothing: every row is looked up by its natural key first, and
passwords are only set (and printed) when a user is created.
"""

import secrets
from contextlib import ExitStack
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from partnerships.documents import rendering
from partnerships.management import demo_delivery, demo_events, demo_referrals
from partnerships.models import (
    Assessment,
    Authority,
    AuthorityLevel,
    Contact,
    Mou,
    MouState,
    Partner,
    Pledge,
    PledgeKind,
    RenderStatus,
    Review,
    ReviewKind,
    Role,
    TargetGroup,
    UserProfile,
)
from partnerships.mous import lifecycle
from partnerships.signing import authority as signing_authority
from partnerships.signing import business as signing_business
from partnerships.signing.demo_pki import ensure_demo_pki
from partnerships.signing.demo_tsa import demo_crl_url, serve_demo_tsa
from partnerships.signing.revisions import current_basis
from partnerships.signing.setup import SigningSetup, demo_setup

# (key, name, level, parent key, successor key, code, place, dissolved)
AUTHORITIES = [
    ("la", "UBND tỉnh Long An", AuthorityLevel.PROVINCE, None, None, "UBND", "Tân An", False),
    (
        "la-snv",
        "Sở Nội vụ tỉnh Long An",
        AuthorityLevel.DEPARTMENT,
        "la",
        None,
        "SNV",
        "Tân An",
        False,
    ),
    (
        "la-ca",
        "Công an tỉnh Long An",
        AuthorityLevel.DEPARTMENT,
        "la",
        None,
        "CAT",
        "Tân An",
        False,
    ),
    ("la-benluc", "UBND xã Bến Lức", AuthorityLevel.COMMUNE, "la", None, "UBND", "Bến Lức", False),
    (
        "la-benluc-ca",
        "Công an xã Bến Lức",
        AuthorityLevel.COMMUNE,
        "la",
        None,
        "CAX",
        "Bến Lức",
        False,
    ),
    (
        "la-thanhloi",
        "UBND xã Thạnh Lợi",
        AuthorityLevel.COMMUNE,
        "la",
        None,
        "UBND",
        "Thạnh Lợi",
        False,
    ),
    (
        "la-h-benluc",
        "UBND huyện Bến Lức",
        AuthorityLevel.DISTRICT,
        "la",
        "la-benluc",
        "UBND",
        "Bến Lức",
        True,
    ),
    ("hn", "UBND tỉnh Hà Nam", AuthorityLevel.PROVINCE, None, None, "UBND", "Phủ Lý", False),
    (
        "hn-snv",
        "Sở Nội vụ tỉnh Hà Nam",
        AuthorityLevel.DEPARTMENT,
        "hn",
        None,
        "SNV",
        "Phủ Lý",
        False,
    ),
    (
        "hn-kimbang",
        "UBND phường Kim Bảng",
        AuthorityLevel.COMMUNE,
        "hn",
        None,
        "UBND",
        "Kim Bảng",
        False,
    ),
    (
        "hn-h-kimbang",
        "UBND huyện Kim Bảng",
        AuthorityLevel.DISTRICT,
        "hn",
        "hn-kimbang",
        "UBND",
        "Kim Bảng",
        True,
    ),
]

# (tax code, name, sector, workforce, registered by, contacts: (name, position, email, legal rep))
PARTNERS = [
    (
        "0399000101",
        "Công ty TNHH May mặc Bến Lức (DEMO)",
        "Dệt may",
        850,
        "la-benluc",
        [
            ("Nguyễn Thị Hoa", "Giám đốc", "giamdoc@maybenluc.demo.invalid", True),
            ("Trần Văn Minh", "Trưởng phòng nhân sự", "nhansu@maybenluc.demo.invalid", False),
        ],
    ),
    (
        "0799000202",
        "Công ty Cổ phần Khai thác đá Kim Bảng (DEMO)",
        "Khai thác đá",
        320,
        "hn-kimbang",
        [("Lê Văn Sơn", "Tổng Giám đốc", "tgd@dakimbang.demo.invalid", True)],
    ),
    (
        "0399000303-001",
        "Chi nhánh Công ty TNHH Cơ khí Thạnh Lợi (DEMO)",
        "Cơ khí",
        140,
        "la-thanhloi",
        [("Phạm Quốc Bảo", "Giám đốc chi nhánh", "bao@cokhi.demo.invalid", True)],
    ),
]

# (username, role, authority key, partner tax code, full name)
USERS = [
    ("demo_staff", Role.AUTHORITY_STAFF, "la-benluc", None, "Cán bộ xã Bến Lức"),
    ("demo_official", Role.OFFICIAL, "la-snv", None, "Chuyên viên Sở Nội vụ Long An"),
    ("demo_business", Role.BUSINESS_REPRESENTATIVE, None, "0399000101", "Nguyễn Thị Hoa"),
    ("demo_admin", Role.ADMINISTRATOR, "la", None, "Quản trị hệ thống"),
    ("demo_staff_hanam", Role.AUTHORITY_STAFF, "hn-kimbang", None, "Cán bộ phường Kim Bảng"),
    ("demo_staff_thanhloi", Role.AUTHORITY_STAFF, "la-thanhloi", None, "Cán bộ xã Thạnh Lợi"),
]


class Command(BaseCommand):
    help = "Create demo authorities, partners, users and MoUs in every state (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="Give every new demo user this password instead of a random one.",
        )

    def handle(self, *args, password=None, **options):
        self._setup = None
        self.placed = 0
        # The demo TSA seed_demo serves itself while it signs (closed at the end).
        with ExitStack() as self._demo_tsa, transaction.atomic():
            authorities = self._authorities()
            partners = self._partners(authorities)
            self._users(authorities, partners, password)
            created = self._mous(authorities, partners)
            events = demo_events.seed(today=timezone.localdate())
        if self._setup is not None:
            self.stdout.write(
                f"  Signed with the DEMO PKI in {settings.DEMO_PKI_DIR} (trusted only by this demo)."
            )
        self.stdout.write(f"  Dialogue events: {events} new.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({created} new MoUs, {self.placed} placements reported)."
            )
        )

    def _authorities(self) -> dict[str, Authority]:
        by_key: dict[str, Authority] = {}
        for key, name, level, parent, _successor, code, place, dissolved in AUTHORITIES:
            by_key[key], _ = Authority.objects.get_or_create(
                name=name,
                defaults={
                    "level": level,
                    "parent": by_key.get(parent),
                    "code": code,
                    "place_name": place,
                    "address": f"{place}, {'Long An' if key.startswith('la') else 'Hà Nam'}",
                    "is_dissolved": dissolved,
                },
            )
        for key, *_rest, successor, _code, _place, _dissolved in AUTHORITIES:
            if successor and by_key[key].successor_id is None:
                by_key[key].successor = by_key[successor]
                by_key[key].save(update_fields=["successor"])
        return by_key

    def _partners(self, authorities) -> dict[str, Partner]:
        by_tax_code = {}
        for tax_code, name, sector, workforce, registered_by, contacts in PARTNERS:
            partner, created = Partner.objects.get_or_create(
                tax_code=tax_code,
                defaults={
                    "name": name,
                    "sector": sector,
                    "workforce_size": workforce,
                    "registered_by": authorities[registered_by],
                    "address": authorities[registered_by].place_name,
                },
            )
            if created:
                for full_name, position, email, is_representative in contacts:
                    Contact.objects.create(
                        partner=partner,
                        full_name=full_name,
                        position=position,
                        email=email,
                        is_legal_representative=is_representative,
                    )
            by_tax_code[tax_code] = partner
        return by_tax_code

    def _users(self, authorities, partners, password) -> None:
        user_model = get_user_model()
        for username, role, authority_key, tax_code, full_name in USERS:
            if user_model.objects.filter(username=username).exists():
                self.stdout.write(f"  {username}: exists, password unchanged")
                continue
            chosen = password or secrets.token_urlsafe(12)
            user = user_model.objects.create_user(
                username=username,
                password=chosen,
                first_name=full_name,
                email=f"{username}@demo.invalid",
                is_staff=role == Role.ADMINISTRATOR,
                is_superuser=role == Role.ADMINISTRATOR,
            )
            user.groups.add(Group.objects.get(name=role))
            UserProfile.objects.create(
                user=user,
                authority=authorities.get(authority_key),
                partner=partners.get(tax_code),
            )
            # Printed once, now: the password is not stored anywhere in the clear.
            self.stdout.write(f"  {username} ({role.label}): password {chosen}")

    def _mous(self, authorities, partners) -> int:
        today = timezone.localdate()
        year = today.year
        garment = partners["0399000101"]
        quarry = partners["0799000202"]
        mechanics = partners["0399000303-001"]
        plans = [
            # (authority, number, partner, wanted state, title)
            ("la-benluc", 1, garment, MouState.DRAFT, "Tiếp nhận lao động ngành may"),
            ("la-benluc", 2, garment, MouState.SENT, "Đào tạo nghề may công nghiệp"),
            ("la-benluc", 3, garment, MouState.SIGNED, "Việc làm cho người sau cai nghiện"),
            ("la-benluc", 4, garment, MouState.ACTIVE, "Tiếp nhận người chấp hành xong án phạt tù"),
            ("la-h-benluc", 5, garment, MouState.REVIEWED, "Chương trình việc làm 2024-2025"),
            ("la-thanhloi", 1, mechanics, MouState.DECLINED, "Học nghề cơ khí"),
            ("la-thanhloi", 2, mechanics, MouState.CANCELLED, "Việc làm thời vụ"),
            ("la-thanhloi", 3, mechanics, MouState.ACTIVE, "Việc làm ngành cơ khí"),
            ("hn-kimbang", 1, quarry, MouState.ACTIVE, "Tiếp nhận lao động khai thác đá"),
            ("hn-h-kimbang", 2, quarry, MouState.TERMINATED, "Việc làm ngành đá 2024"),
        ]
        created = 0
        for authority_key, number, partner, wanted, title in plans:
            authority = authorities[authority_key]
            if Mou.objects.filter(authority=authority, year=year, number=number).exists():
                continue
            mou = self._draft(authority, number, year, partner, title, wanted, today)
            self._advance(mou, wanted, plan=demo_delivery.plan_for(authority_key, mou))
            created += 1
        self._refer(authorities, year, today)
        return created

    def _refer(self, authorities, year, today) -> None:
        """People of the finished programme referred to the garment company's active MoU."""
        made, hired = demo_referrals.refer_demo_people(
            mou=Mou.objects.get(authority=authorities["la-benluc"], year=year, number=4),
            programme=Mou.objects.get(authority=authorities["la-h-benluc"], year=year, number=5),
            today=today,
        )
        self.placed += hired
        self.stdout.write(f"  Referrals made: {made}")

    def _draft(self, authority, number, year, partner, title, wanted, today) -> Mou:
        started = wanted in {MouState.ACTIVE, MouState.REVIEWED, MouState.TERMINATED}
        # Started MoUs began 400 days ago: old enough for retention at 3, 6 and 12 months.
        term_start = today - timedelta(days=400) if started else today + timedelta(days=30)
        if wanted == MouState.SIGNED:
            term_start = today + timedelta(days=10)
        mou = Mou.objects.create(
            authority=authority,
            partner=partner,
            year=year,
            number=number,
            title=title,
            authority_signatory_name="Võ Minh Tâm",
            authority_signatory_position="TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH",
            partner_signatory=partner.legal_representative,
            term_start=term_start,
            term_end=term_start + timedelta(days=730),
            mid_review_date=term_start + timedelta(days=365),
            final_review_date=term_start + timedelta(days=720),
            notes="Dữ liệu minh họa (DEMO).",
        )
        groups = list(TargetGroup.objects.filter(code__in=["completed_prison", "post_rehab"]))
        for line, kind, quantity, occupation, wage in [
            (1, PledgeKind.JOB, 10, "Công nhân may", 6_500_000),
            (2, PledgeKind.VOCATIONAL_TRAINING, 5, "Học nghề may công nghiệp", None),
        ]:
            pledge = Pledge.objects.create(
                mou=mou,
                line=line,
                kind=kind,
                quantity=quantity,
                occupation=occupation,
                min_monthly_wage=wage,
                workplace=partner.address,
                due_date=term_start + timedelta(days=180),
            )
            pledge.target_groups.set(groups)
        lifecycle.record_event(
            mou, action="mou.created", actor=None, note="seed_demo", to_state=MouState.DRAFT
        )
        document = rendering.render_now(mou, actor=None)
        if document.status != RenderStatus.READY:
            raise CommandError(f"Could not render {mou.document_number}: {document.error_text}")
        return mou

    def _sign(self, mou: Mou) -> None:
        """Really signed, with the DEMO PKI: the authority's certification, then the
        registry's seal for the business (as if its representative had confirmed a code);
        the signing service moves the MoU to signed."""
        setup = self._signing_setup()
        signing_authority.certify(mou, actor=None, setup=setup)
        signing_business.apply_registry_seal(
            mou,
            basis=current_basis(mou),
            person_name=mou.partner_signatory.full_name,
            setup=setup,
            evidence=signing_business.Evidence(ip=None, user_agent="seed_demo"),
        )

    def _signing_setup(self) -> SigningSetup:
        if self._setup is None:
            # Its certificates name the CRL that run_demo_tsa publishes (demo_tsa).
            directory = ensure_demo_pki(
                settings.DEMO_PKI_DIR, crl_url=demo_crl_url(settings.DEMO_TSA_PORT)
            )
            # Its own TSA on a free port: no clash with run_demo_tsa or a parallel run.
            tsa_url = self._demo_tsa.enter_context(serve_demo_tsa(directory))
            self._setup = demo_setup(
                directory, public_base_url=settings.PUBLIC_BASE_URL, tsa_url=tsa_url
            )
        return self._setup

    def _advance(self, mou: Mou, wanted: str, plan=None) -> None:
        """Walk the MoU through the real transitions up to the wanted state; while it is
        active, the partner delivers what `plan` says (before any review or termination)."""
        if wanted == MouState.DRAFT:
            return
        if wanted == MouState.CANCELLED:
            lifecycle.perform(mou, "cancel", actor=None, note="Đối tác chưa sẵn sàng (DEMO).")
            return
        lifecycle.perform(mou, "send", actor=None)
        if wanted == MouState.SENT:
            return
        if wanted == MouState.DECLINED:
            lifecycle.perform(mou, "decline", actor=None, note="Chưa đủ nhu cầu tuyển dụng (DEMO).")
            return
        self._sign(mou)
        if wanted == MouState.SIGNED:
            return
        lifecycle.perform(mou, "activate", actor=None)
        if plan is not None:
            self.placed += demo_delivery.deliver(mou, plan, today=timezone.localdate())
        if wanted == MouState.TERMINATED:
            lifecycle.perform(
                mou, "terminate", actor=None, note="Doanh nghiệp tạm ngừng khai thác (DEMO)."
            )
        elif wanted == MouState.REVIEWED:
            Review.objects.create(
                mou=mou,
                kind=ReviewKind.FINAL,
                reviewed_on=timezone.localdate(),
                assessment=Assessment.PARTLY_MET,
                notes="Hoàn thành 8/10 chỉ tiêu việc làm (DEMO).",
            )
            lifecycle.perform(mou, "review", actor=None)
