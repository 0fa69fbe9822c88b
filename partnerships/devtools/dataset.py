"""A realistic registry generated for the benchmark: one province, its bodies and partners,
and as many MoUs as asked for, grown in steps so figures can be compared across sizes.

Rows are written with bulk_create in batches. States are set at construction, never by a
transition: this is data generation, not a change of state, so no audit events are written.
"""

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import product

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from partnerships.devtools.names import PEOPLE
from partnerships.models import (
    Authority,
    AuthorityLevel,
    Contact,
    Mou,
    MouState,
    Partner,
    Pledge,
    PledgeKind,
    Role,
    TargetGroup,
    UserProfile,
)

PROVINCE = "UBND tỉnh Long An"
# (name, document code, relative share of the province's MoUs)
DEPARTMENTS = [
    ("Sở Nội vụ tỉnh Long An", "SNV", 3.0),
    ("Công an tỉnh Long An", "CAT", 3.0),
    ("Sở Tư pháp tỉnh Long An", "STP", 1.0),
]
COMMUNES = [
    "xã Bến Lức", "xã Thạnh Lợi", "xã Lương Hòa", "xã Bình Đức", "xã Mỹ Yên", "xã Đức Hòa",
    "xã Hậu Nghĩa", "xã Hòa Khánh", "xã Đức Lập", "xã Mỹ Hạnh", "xã Hiệp Hòa", "xã Cần Giuộc",
    "xã Phước Lý", "xã Mỹ Lộc", "xã Cần Đước", "xã Rạch Kiến", "xã Long Cang", "xã Tân Trụ",
    "xã Thủ Thừa", "xã Mỹ An", "xã Tân Lập", "phường Long An", "phường Tân An",
    "phường Khánh Hậu",
]  # fmt: skip
# Districts dissolved by the 2025 reform, each with the commune that took over its MoUs.
DISSOLVED_DISTRICTS = [("huyện Bến Lức", "xã Bến Lức"), ("huyện Đức Hòa", "xã Đức Hòa")]
DISSOLVED_ON = date(2025, 7, 1)
# The benchmark's authority staff user works here: the largest commune, which also looks
# after the dissolved district's MoUs, so its list is the longest a commune sees.
STAFF_COMMUNE = "xã Bến Lức"

PARTNER_KINDS = ["Công ty TNHH", "Công ty Cổ phần", "Hợp tác xã", "Doanh nghiệp tư nhân"]
# (name word, sector, occupations)
SECTORS = [
    ("May mặc", "Dệt may", ["Công nhân may", "Thợ cắt", "Kiểm hàng"]),
    ("Khai thác đá", "Khai thác đá", ["Công nhân khai thác", "Lái máy xúc", "Thợ nổ mìn"]),
    ("Chế biến thủy sản", "Thủy sản", ["Công nhân chế biến", "Công nhân kho lạnh"]),
    ("Cơ khí", "Cơ khí", ["Thợ hàn", "Thợ tiện", "Lắp ráp cơ khí"]),
    ("Xây dựng", "Xây dựng", ["Thợ nề", "Thợ sắt", "Phụ hồ"]),
    ("Bao bì", "Bao bì", ["Công nhân vận hành máy", "Công nhân đóng gói"]),
    ("Giày da", "Da giày", ["Công nhân may giày", "Công nhân hoàn thiện"]),
    ("Nông sản", "Nông nghiệp", ["Công nhân sơ chế", "Lao động trồng trọt"]),
    ("Logistics", "Vận tải, kho bãi", ["Bốc xếp", "Lái xe nâng", "Nhân viên kho"]),
    ("Điện tử", "Điện tử", ["Công nhân lắp ráp", "Kiểm tra chất lượng"]),
]
BRANDS = [
    "Phú Thịnh", "Hưng Phát", "Thành Công", "Minh Long", "An Khang", "Tân Phú", "Hoàng Gia",
    "Việt Tiến", "Mekong", "Đại Lộc", "Phước An", "Trường Sơn",
]  # fmt: skip
TITLES = [
    "Bản ghi nhớ về tiếp nhận, tạo việc làm cho người chấp hành xong án phạt tù giữa {a} và {p}",
    "Bản ghi nhớ hợp tác đào tạo nghề và giải quyết việc làm năm {y} với {p}",
    "Bản ghi nhớ tiếp nhận người sau cai nghiện ma túy vào làm việc tại {p}",
    "Bản ghi nhớ hỗ trợ tái hòa nhập cộng đồng giữa {a} và {p}",
]
SIGNATORY_POSITIONS = ["TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH", "KT. CHỦ TỊCH - PHÓ CHỦ TỊCH"]
# Most pledges are for people who served a prison sentence; the rest spread thinner.
TARGET_GROUP_WEIGHTS = {
    "completed_prison": 8,
    "post_rehab": 4,
    "conditional_release": 2,
    "amnesty": 2,
    "community_sentence": 2,
    "drug_user": 1,
}
BATCH_SIZE = 1000


@dataclass
class _Place:
    authority_id: int
    weight: float
    name: str
    signatory_position: str
    dissolved: bool
    registers_partners: bool


class Dataset:
    """The benchmark's registry. `build_parties()` once, then `grow_mous()` as often as needed.

    Seeded, so every run on every database generates the same rows.
    """

    def __init__(
        self, *, seed: int = 2025, today: date | None = None, pledges_per_mou: float | None = None
    ):
        self.seed = seed
        self.random = random.Random(seed)
        # None: 1 to 4 lines an MoU (2 on average); a number: that average, kept exactly.
        self.pledges_per_mou = pledges_per_mou
        self.pledge_count = 0
        self.placement_count = 0
        self._placements = None
        self.today = today or timezone.localdate()
        self.places: list[_Place] = []
        self.partner_ids: list[int] = []
        self.partner_weights: list[float] = []
        self.partners_by_authority: dict[int, list[int]] = defaultdict(list)
        self.partner_names: dict[int, str] = {}
        self.representative_by_partner: dict[int, int] = {}
        self.target_group_ids: list[int] = []
        self.target_group_weights: list[float] = []
        self.occupations_by_partner: dict[int, list[str]] = {}
        self.next_number: dict[tuple[int, int], int] = defaultdict(lambda: 1)
        self.mou_count = 0
        self.users: dict[str, object] = {}
        self.staff_authority: Authority | None = None

    # --- parties ---

    @transaction.atomic
    def build_parties(self, *, partners: int = 300) -> None:
        """About 30 authorities, `partners` businesses with contacts, and one user per role."""
        province = Authority.objects.create(
            name=PROVINCE, level=AuthorityLevel.PROVINCE, code="UBND", place_name="Tân An"
        )
        self._place(province, 4.0, "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH")
        for name, code, weight in DEPARTMENTS:
            department = Authority.objects.create(
                name=name, level=AuthorityLevel.DEPARTMENT, parent=province, code=code
            )
            self._place(department, weight, "GIÁM ĐỐC")
        communes = {}
        for rank, name in enumerate(COMMUNES, start=1):
            communes[name] = Authority.objects.create(
                name=f"UBND {name}",
                level=AuthorityLevel.COMMUNE,
                parent=province,
                code="UBND",
                place_name=name.split(" ", 1)[1],
            )
            # A few large communes hold most MoUs, as around industrial parks.
            self._place(communes[name], 12.0 / rank**0.8, self.random.choice(SIGNATORY_POSITIONS))
        for name, successor in DISSOLVED_DISTRICTS:
            district = Authority.objects.create(
                name=f"UBND {name}",
                level=AuthorityLevel.DISTRICT,
                parent=province,
                successor=communes[successor],
                code="UBND",
                is_dissolved=True,
            )
            self._place(district, 4.0, "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH", dissolved=True)
        self.staff_authority = communes[STAFF_COMMUNE]
        self._partners(partners)
        for group in TargetGroup.objects.filter(is_active=True):
            self.target_group_ids.append(group.pk)
            self.target_group_weights.append(TARGET_GROUP_WEIGHTS.get(group.code, 1))
        self._users(province)

    def _place(self, authority, weight, position, dissolved=False) -> None:
        self.places.append(
            _Place(
                authority.pk,
                weight,
                authority.name,
                position,
                dissolved,
                # Businesses are registered where they operate, not with a department.
                registers_partners=authority.level != AuthorityLevel.DEPARTMENT,
            )
        )

    def _partners(self, count: int) -> None:
        names = list(product(PARTNER_KINDS, range(len(SECTORS)), BRANDS))
        self.random.shuffle(names)
        combinations = len(names)
        while len(names) < count:  # more partners than combinations: number the rest
            names.append((*names[len(names) % combinations], len(names)))
        registrars = [place for place in self.places if place.registers_partners]
        rows = []
        for index, (kind, sector_index, brand, *extra) in enumerate(names[:count]):
            word, sector, _occupations = SECTORS[sector_index]
            # Every fifteenth business is a branch, whose tax code carries a branch suffix.
            tax_code = f"11{index:08d}" + ("-001" if index % 15 == 14 else "")
            registrar = self.random.choices(registrars, [p.weight for p in registrars])[0]
            rows.append(
                Partner(
                    name=" ".join(str(part) for part in (kind, word, brand, *extra)),
                    tax_code=tax_code,
                    sector=sector,
                    address=f"Khu công nghiệp {brand}, Long An",
                    workforce_size=self.random.choice([25, 60, 120, 300, 800, 2500]),
                    registered_by_id=registrar.authority_id,
                )
            )
        partners = Partner.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        contacts = []
        for rank, (partner, (_kind, sector_index, *_rest)) in enumerate(
            zip(partners, names, strict=False), start=1
        ):
            self.partner_ids.append(partner.pk)
            # A few big employers sign many MoUs; most sign one or two.
            self.partner_weights.append(1.0 / rank**0.7)
            self.partners_by_authority[partner.registered_by_id].append(partner.pk)
            self.partner_names[partner.pk] = partner.name
            self.occupations_by_partner[partner.pk] = SECTORS[sector_index][2]
            contacts.append(
                Contact(
                    partner=partner,
                    full_name=self.random.choice(PEOPLE),
                    position="Giám đốc",
                    email=f"giamdoc{partner.pk}@benchmark.invalid",
                    is_legal_representative=True,
                )
            )
            if rank % 2:
                contacts.append(
                    Contact(
                        partner=partner,
                        full_name=self.random.choice(PEOPLE),
                        position="Trưởng phòng nhân sự",
                        email=f"nhansu{partner.pk}@benchmark.invalid",
                    )
                )
        for contact in Contact.objects.bulk_create(contacts, batch_size=BATCH_SIZE):
            if contact.is_legal_representative:
                self.representative_by_partner[contact.partner_id] = contact.pk

    def _users(self, province: Authority) -> None:
        """One user per role; none can log in with a password (the benchmark uses sessions)."""
        accounts = [
            ("bench_admin", Role.ADMINISTRATOR, None, None),
            ("bench_staff", Role.AUTHORITY_STAFF, self.staff_authority, None),
            ("bench_official", Role.OFFICIAL, province, None),
            ("bench_business", Role.BUSINESS_REPRESENTATIVE, None, self.partner_ids[0]),
        ]
        for username, role, authority, partner_id in accounts:
            user = get_user_model().objects.create_user(username=username, password=None)
            if role == Role.ADMINISTRATOR:
                user.is_superuser = user.is_staff = True
                user.save(update_fields=["is_superuser", "is_staff"])
            user.groups.add(Group.objects.get(name=role))
            UserProfile.objects.create(user=user, authority=authority, partner_id=partner_id)
            self.users[role] = user

    # --- MoUs ---

    def grow_mous(self, total: int) -> int:
        """Add MoUs (with 1-4 pledges each) until there are `total`; returns how many were added."""
        added = 0
        while self.mou_count < total:
            batch = min(BATCH_SIZE * 2, total - self.mou_count)
            with transaction.atomic():
                self._add_mous(batch)
            self.mou_count += batch
            added += batch
        if added and connection.vendor == "postgresql":
            # Autovacuum would analyse tables this size within a minute in production;
            # do it now so the planner sees the data it will really serve.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        return added

    def _add_mous(self, count: int) -> None:
        mous = [self._mou() for _ in range(count)]
        mous = Mou.objects.bulk_create(mous, batch_size=BATCH_SIZE)
        pledges = []
        for mou, lines in zip(mous, self._line_counts(count), strict=True):
            occupations = self.occupations_by_partner[mou.partner_id]
            for line in range(1, lines + 1):
                pledges.append(self._pledge(mou, line, occupations))
        self.pledge_count += len(pledges)
        pledges = Pledge.objects.bulk_create(pledges, batch_size=BATCH_SIZE)
        link = Pledge.target_groups.through
        links = []
        for pledge in pledges:
            groups = set(
                self.random.choices(
                    self.target_group_ids, self.target_group_weights, k=self.random.randint(1, 3)
                )
            )
            links.extend(link(pledge_id=pledge.pk, targetgroup_id=group) for group in groups)
        link.objects.bulk_create(links, batch_size=BATCH_SIZE * 5)

    def _line_counts(self, count: int) -> Iterator[int]:
        """How many pledge lines each of the next `count` MoUs gets (drawn as each MoU's
        lines are generated, so the seeded rows stay those of earlier versions)."""
        if self.pledges_per_mou is None:
            for _ in range(count):
                yield self.random.choices([1, 2, 3, 4], [40, 30, 20, 10])[0]
            return
        # Every MoU has one line; the rest are spread at random, so the total stays exactly
        # the average asked for (50,000 lines for 10,000 MoUs, not about 50,000).
        wanted = round(self.pledges_per_mou * (self.mou_count + count)) - self.pledge_count
        lines = [1] * count
        for index in self.random.choices(range(count), k=max(wanted - count, 0)):
            lines[index] += 1
        yield from lines

    def _mou(self) -> Mou:
        place = self.random.choices(self.places, [p.weight for p in self.places])[0]
        last_year = DISSOLVED_ON.year if place.dissolved else self.today.year
        years = list(range(self.today.year - 5, last_year + 1))
        year = self.random.choices(years, range(1, len(years) + 1))[0]
        term_start = date(year, self.random.randint(1, 12), self.random.randint(1, 28))
        if place.dissolved:
            term_start = min(term_start, DISSOLVED_ON - timedelta(days=1))
        term_end = term_start.replace(year=term_start.year + self.random.choice([2, 3, 3, 5]))
        state = self._state(term_start, term_end)
        local_partners = self.partners_by_authority.get(place.authority_id)
        if local_partners and self.random.random() < 0.6:
            partner_id = self.random.choice(local_partners)
        else:
            partner_id = self.random.choices(self.partner_ids, self.partner_weights)[0]
        number = self.next_number[place.authority_id, year]
        self.next_number[place.authority_id, year] = number + 1
        title = self.random.choice(TITLES).format(
            a=place.name, p=self.partner_names[partner_id], y=year
        )
        signed = state in MouState.SIGNED_ONCE
        started = state in {MouState.ACTIVE, MouState.REVIEWED, MouState.TERMINATED}
        return Mou(
            authority_id=place.authority_id,
            partner_id=partner_id,
            year=year,
            number=number,
            title=title[:300],
            authority_signatory_name=self.random.choice(PEOPLE),
            authority_signatory_position=place.signatory_position,
            partner_signatory_id=self.representative_by_partner[partner_id],
            term_start=term_start,
            term_end=term_end,
            mid_review_date=term_start + (term_end - term_start) / 2,
            final_review_date=term_end - timedelta(days=30),
            state=state,
            closing_reason=(
                "Doanh nghiệp ngừng hoạt động"
                if state in {MouState.TERMINATED, MouState.CANCELLED, MouState.DECLINED}
                else ""
            ),
            signed_at=self._moment(term_start - timedelta(days=20)) if signed else None,
            activated_at=self._moment(term_start) if started else None,
        )

    def _state(self, term_start: date, term_end: date) -> str:
        if term_start > self.today:
            weights = {
                MouState.DRAFT: 40,
                MouState.SENT: 30,
                MouState.SIGNED: 20,
                MouState.DECLINED: 5,
                MouState.CANCELLED: 5,
            }
        elif term_end < self.today:
            weights = {MouState.REVIEWED: 60, MouState.ACTIVE: 20, MouState.TERMINATED: 20}
        else:
            weights = {
                MouState.ACTIVE: 75,
                MouState.DRAFT: 6,
                MouState.SENT: 6,
                MouState.TERMINATED: 5,
                MouState.DECLINED: 4,
                MouState.CANCELLED: 4,
            }
        return self.random.choices(list(weights), list(weights.values()))[0]

    def _pledge(self, mou: Mou, line: int, occupations: list[str]) -> Pledge:
        kind = self.random.choices(
            [PledgeKind.JOB, PledgeKind.VOCATIONAL_TRAINING, PledgeKind.APPRENTICESHIP],
            [60, 25, 15],
        )[0]
        return Pledge(
            mou=mou,
            line=line,
            kind=kind,
            quantity=self.random.choice([2, 3, 5, 5, 10, 10, 15, 20, 30, 50]),
            occupation=self.random.choice(occupations),
            # Around the 2024 region I minimum wage (4,960,000 VND), in 100,000 steps.
            min_monthly_wage=self.random.randint(50, 90) * 100_000
            if kind == PledgeKind.JOB
            else None,
            workplace=self.partner_names[mou.partner_id],
            due_date=mou.term_start + timedelta(days=self.random.choice([90, 180, 365])),
        )

    def _moment(self, day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(9, 0)))

    # --- placements ---

    def grow_placements(self, total: int) -> int:
        """Add people and placements until there are `total` placements (see
        placement_data.py); returns how many were added."""
        from partnerships.devtools.placement_data import PlacementGenerator

        if self._placements is None:
            self._placements = PlacementGenerator(seed=self.seed, today=self.today)
        added = self._placements.add(total - self.placement_count)
        self.placement_count += added
        return added

    def grow_referrals(self, *, per_placement: float = 2.0) -> int:
        """Referrals for every placement without one (see referral_data.py); returns how
        many were added."""
        from partnerships.devtools.referral_data import ReferralGenerator

        return ReferralGenerator(seed=self.seed, today=self.today).add(per_placement=per_placement)

    # --- what the benchmarks ask for ---

    def user(self, role: Role):
        return self.users[role]

    def most_pledged_target_group(self) -> int:
        return self.target_group_ids[
            self.target_group_weights.index(max(self.target_group_weights))
        ]


def session_dataset(session) -> Dataset:
    """The benchmark run's registry, built on first use and shared by every later area."""
    if session.dataset is None:
        session.log("Generating authorities, partners and users…")
        pledges = session.options.get("pledges")
        session.dataset = Dataset(
            pledges_per_mou=pledges / session.options["mous"] if pledges else None
        )
        session.dataset.build_parties()
    return session.dataset
