"""Who may see and do what. Every list, detail, export and action asks this module.

Roles are Django auth groups named after `Role` values. Staff and officials act for an
authority (UserProfile.authority); business representatives for a partner
(UserProfile.partner). Scope is computed once per request and cached on the user object.

- Authority staff: MoUs of their authority, the authorities under it, and dissolved
  authorities whose successor is among those.
- Officials: read every MoU in their province; perform reviews there.
- Business representatives: their own partner's MoUs, once sent (drafts are internal).
- Administrators (group or superuser): everything.
- Anyone else: nothing.
"""

from collections.abc import Callable, Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone

from partnerships.authorities.hierarchy import AuthorityTree
from partnerships.models import (
    Authority,
    Mou,
    MouState,
    Partner,
    Role,
    UserProfile,
)

_ROLE_CACHE = "_partnerships_roles"
_PROFILE_CACHE = "_partnerships_profile"
_TREE_CACHE = "_partnerships_authority_tree"


def roles_of(user) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, _ROLE_CACHE, None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            names.add(Role.ADMINISTRATOR)
        cached = frozenset(names & set(Role.values))
        setattr(user, _ROLE_CACHE, cached)
    return cached


def has_role(user, role: Role) -> bool:
    return role in roles_of(user)


def is_administrator(user) -> bool:
    return has_role(user, Role.ADMINISTRATOR)


def _profile(user):
    """The user's profile with its authority, read once per request (one query, not two)."""
    if not getattr(user, "pk", None):
        return None
    if not hasattr(user, _PROFILE_CACHE):
        profile = UserProfile.objects.select_related("authority").filter(user_id=user.pk).first()
        setattr(user, _PROFILE_CACHE, profile)
    return getattr(user, _PROFILE_CACHE)


def authority_tree(user) -> AuthorityTree:
    """Every authority (one query), kept on the user object for the rest of the request:
    scope, filter choices and report roll-ups all walk the same tree."""
    return _cached_on_user(user, _TREE_CACHE, AuthorityTree.load)


def _user_authority(user) -> Authority | None:
    profile = _profile(user)
    return profile.authority if profile else None


def user_authority(user) -> Authority | None:
    """The authority the user acts for (staff, officials), if any."""
    return _user_authority(user)


def _user_partner_id(user) -> int | None:
    profile = _profile(user)
    return profile.partner_id if profile else None


def user_partner_id(user) -> int | None:
    """The partner (business) a business representative acts for, if any."""
    return _user_partner_id(user) if has_role(user, Role.BUSINESS_REPRESENTATIVE) else None


def authority_scope(user) -> set[int] | None:
    """Authority ids whose MoUs the user may see; None means all (administrators)."""
    if is_administrator(user):
        return None
    return (_staff_scope(user) or set()) | (_official_scope(user) or set())


def _cached_on_user(user, key: str, compute):
    cached = getattr(user, key, None)
    if cached is None:
        cached = compute()
        setattr(user, key, cached)
    return cached


def _staff_scope(user) -> set[int] | None:
    """Authority ids whose MoUs the user may change; None means all (administrators)."""
    if is_administrator(user):
        return None
    authority = _user_authority(user)
    if authority is None or not has_role(user, Role.AUTHORITY_STAFF):
        return set()
    return _cached_on_user(
        user, "_partnerships_staff_scope", lambda: authority_tree(user).subtree(authority.pk)
    )


def _official_scope(user) -> set[int] | None:
    if is_administrator(user):
        return None
    authority = _user_authority(user)
    if authority is None or not has_role(user, Role.OFFICIAL):
        return set()
    return _cached_on_user(
        user,
        "_partnerships_official_scope",
        lambda: _province_scope(user),
    )


def _province_scope(user) -> set[int]:
    tree = authority_tree(user)
    return tree.subtree(tree.province_of(_user_authority(user).pk))


def _in_scope(authority_id: int, scope: set[int] | None) -> bool:
    return scope is None or authority_id in scope


# --- MoUs ---


NOTHING_VISIBLE = None


def visible_mou_condition(user, *, prefix: str = "") -> Q | None:
    """The MoUs the user may see, as a condition on rows reaching the MoU through `prefix`
    ("" on MoUs, "mou__" on pledge lines); an empty Q for everything, None for nothing.
    visible_mous() is this condition on MoUs; reports put it on the lines themselves, so
    the database joins each line to its MoU once instead of also testing a subquery."""
    if not roles_of(user):
        return NOTHING_VISIBLE
    scope = authority_scope(user)
    if scope is None:
        return Q()
    condition = Q(**{f"{prefix}authority_id__in": scope})
    partner_id = _user_partner_id(user)
    if has_role(user, Role.BUSINESS_REPRESENTATIVE) and partner_id:
        condition |= Q(**{f"{prefix}partner_id": partner_id}) & ~Q(
            **{f"{prefix}state": MouState.DRAFT}
        )
    return condition


def visible_mous(user, queryset: QuerySet[Mou] | None = None) -> QuerySet[Mou]:
    """The one filter every MoU list, detail and export goes through."""
    queryset = Mou.objects.all() if queryset is None else queryset
    condition = visible_mou_condition(user)
    if condition is NOTHING_VISIBLE:
        return queryset.none()
    return queryset.filter(condition)


def can_view_mou(user, mou: Mou) -> bool:
    if not roles_of(user):
        return False
    if _in_scope(mou.authority_id, authority_scope(user)):
        return True
    return (
        has_role(user, Role.BUSINESS_REPRESENTATIVE)
        and mou.partner_id == _user_partner_id(user)
        and mou.state != MouState.DRAFT
    )


def can_create_mou(user) -> bool:
    return is_administrator(user) or (
        has_role(user, Role.AUTHORITY_STAFF) and _user_authority(user) is not None
    )


def authorities_for_drafting(user) -> QuerySet[Authority]:
    """Authorities on whose behalf the user may draft MoUs (not dissolved ones)."""
    queryset = Authority.objects.filter(is_dissolved=False)
    scope = _staff_scope(user)
    if scope is None:
        return queryset
    return queryset.filter(pk__in=scope)


def can_manage_mou(user, mou: Mou) -> bool:
    return _in_scope(mou.authority_id, _staff_scope(user)) and (
        is_administrator(user) or has_role(user, Role.AUTHORITY_STAFF)
    )


def can_sign_for_business(user, mou: Mou) -> bool:
    """The business's own representatives answer its invitation from the MoU page; the
    authority's staff never sign for the business."""
    return has_role(user, Role.BUSINESS_REPRESENTATIVE) and mou.partner_id == _user_partner_id(user)


def can_decline_mou(user, mou: Mou) -> bool:
    if can_manage_mou(user, mou):
        return True
    return has_role(user, Role.BUSINESS_REPRESENTATIVE) and mou.partner_id == _user_partner_id(user)


def can_renew_mou(user, mou: Mou) -> bool:
    """Staff who manage a reviewed MoU may draft its renewal."""
    return mou.state == MouState.REVIEWED and can_manage_mou(user, mou) and can_create_mou(user)


def can_review_mou(user, mou: Mou) -> bool:
    return _in_scope(mou.authority_id, _official_scope(user)) and (
        is_administrator(user) or has_role(user, Role.OFFICIAL)
    )


# --- Partners ---


def visible_partners(user, queryset: QuerySet[Partner] | None = None) -> QuerySet[Partner]:
    """Business registry data is public, so staff, officials and administrators see every
    partner; a business representative sees only their own."""
    queryset = Partner.objects.all() if queryset is None else queryset
    user_roles = roles_of(user)
    if user_roles & {Role.ADMINISTRATOR, Role.AUTHORITY_STAFF, Role.OFFICIAL}:
        return queryset
    partner_id = _user_partner_id(user)
    if Role.BUSINESS_REPRESENTATIVE in user_roles and partner_id:
        return queryset.filter(pk=partner_id)
    return queryset.none()


def can_register_partner(user) -> bool:
    return can_create_mou(user)


def can_edit_partner(user, partner: Partner) -> bool:
    """Staff edit partners registered within their scope, so no authority overwrites
    another's records."""
    if not (is_administrator(user) or has_role(user, Role.AUTHORITY_STAFF)):
        return False
    return _in_scope(partner.registered_by_id, _staff_scope(user))


# --- Dialogue and job-fair events (counts only, never names) ---
#
# - Staff record events for their authority and the authorities under it, and edit those
#   events, as they draft MoUs (a dissolved body's events are looked after by its successor).
# - Officials see the events of their province; administrators see and edit every event.
# - A business representative sees the events its business attended (listed as present):
#   the figures of a meeting it took part in, nothing of other events.


def visible_events(user, queryset=None):
    """The one filter every event list, report and export goes through."""
    from partnerships.models import Event

    queryset = Event.objects.all() if queryset is None else queryset
    if not roles_of(user):
        return queryset.none()
    scope = authority_scope(user)
    if scope is None:
        return queryset
    condition = Q(authority_id__in=scope)
    partner_id = user_partner_id(user)
    if partner_id:
        # A subquery, not a join: an event with several businesses stays one row.
        condition |= Q(
            pk__in=Event.partners.through.objects.filter(partner_id=partner_id).values("event_id")
        )
    return queryset.filter(condition)


def can_record_events(user) -> bool:
    return can_create_mou(user)


def authorities_holding_events(user) -> QuerySet[Authority]:
    """Authorities on whose behalf the user may record events (not dissolved ones)."""
    return authorities_for_drafting(user)


def can_manage_event(user, event) -> bool:
    return _in_scope(event.authority_id, _staff_scope(user)) and (
        is_administrator(user) or has_role(user, Role.AUTHORITY_STAFF)
    )


def mous_for_events(user) -> QuerySet[Mou]:
    """MoUs the user may list as signed at an event they record: those they manage (the
    service then keeps those of the area of the authority holding the event)."""
    scope = _staff_scope(user)
    queryset = visible_mous(user)
    return queryset if scope is None else queryset.filter(authority_id__in=scope)


def event_authority_scope(user, authority_id: int) -> set[int]:
    """The authorities whose MoUs an event held by `authority_id` may list as signed there:
    the holder, those under it and the dissolved bodies it succeeded."""
    return authority_tree(user).subtree(authority_id)


def can_see_province_summary(user) -> bool:
    """The published-style figures of an area of authorities: administrators (any province),
    officials (theirs) and authority staff (their own authority and what is under it).
    Businesses see their own figures in the reports instead."""
    return is_administrator(user) or (
        has_any_role(user, [Role.OFFICIAL, Role.AUTHORITY_STAFF])
        and _user_authority(user) is not None
    )


def summary_area_root(user) -> int | None:
    """The authority whose subtree a user's province summary covers; None: every province
    (administrators)."""
    if is_administrator(user):
        return None
    authority = _user_authority(user)
    if has_role(user, Role.OFFICIAL):
        return authority_tree(user).province_of(authority.pk)
    return authority.pk


def can_upload_template(user) -> bool:
    """Administrators, and anyone given the 'add template version' permission in the admin."""
    return is_administrator(user) or (
        bool(roles_of(user)) and user.has_perm("partnerships.add_templateversion")
    )


def has_any_role(user, roles: Iterable[Role]) -> bool:
    return bool(roles_of(user) & set(roles))


# --- People and placements (sensitive personal data; see DOMAIN.md) ---
#
# - A person's identity (name) is shown only to authority staff of the owning authority, or
#   of the authority that succeeded it when it was dissolved: not to staff of the authorities
#   above it, not to officials, businesses or administrators.
# - Placement rows (no names) are seen by staff managing the MoU's authority, staff of the
#   person's owning authority, the business whose MoU it is, and administrators.
# - Officials, and everyone who may view an MoU, see counts only.


def identity_scope(user) -> set[int]:
    """Authority ids whose people's identities the user may see: the user's own authority
    and the dissolved ones it succeeded (transitively). Empty for every other role."""
    authority = _user_authority(user)
    if authority is None or not has_role(user, Role.AUTHORITY_STAFF):
        return set()

    def compute():
        return {authority.pk} | authority_tree(user).predecessors(authority.pk)

    return _cached_on_user(user, "_partnerships_identity_scope", compute)


def can_see_identity(user, person) -> bool:
    """May this user see the person's name? (Each look is audited by the caller.)"""
    return not person.is_anonymised and person.owning_authority_id in identity_scope(user)


def can_withdraw_consent(user, person) -> bool:
    """Staff who manage the person record the withdrawal (a data subject's request)."""
    return can_see_identity(user, person)


def visible_people(user, queryset=None):
    """People whose records (without the name) the user may open: those they manage."""
    from partnerships.models import Person

    queryset = Person.objects.all() if queryset is None else queryset
    scope = identity_scope(user)
    if not scope:
        return queryset.none()
    return queryset.filter(owning_authority_id__in=scope)


def visible_placements(user, queryset=None):
    """The one filter every placement list, detail and export goes through."""
    from partnerships.models import Placement

    queryset = Placement.objects.all() if queryset is None else queryset
    if not roles_of(user):
        return queryset.none()
    if is_administrator(user):
        return queryset
    condition = Q(pk__in=[])
    if has_role(user, Role.AUTHORITY_STAFF):
        condition |= Q(pledge__mou__authority_id__in=_staff_scope(user))
        condition |= Q(person__owning_authority_id__in=identity_scope(user))
    partner_id = _user_partner_id(user)
    if has_role(user, Role.BUSINESS_REPRESENTATIVE) and partner_id:
        condition |= Q(pledge__mou__partner_id=partner_id)
    return queryset.filter(condition)


def can_list_placements(user) -> bool:
    return (
        is_administrator(user)
        or (has_role(user, Role.AUTHORITY_STAFF) and _user_authority(user) is not None)
        or (has_role(user, Role.BUSINESS_REPRESENTATIVE) and _user_partner_id(user) is not None)
    )


def _is_mou_business(user, mou: Mou) -> bool:
    return has_role(user, Role.BUSINESS_REPRESENTATIVE) and mou.partner_id == _user_partner_id(user)


def can_report_placement(user, mou: Mou) -> bool:
    """Report (business) or record (staff) a placement on this MoU: signed or active only."""
    if mou.state not in MouState.IN_FORCE:
        return False
    return _is_mou_business(user, mou) or can_manage_mou(user, mou)


def can_confirm_placements_of(user, mou: Mou) -> bool:
    """Staff of the MoU's authority decide whether a reported placement really happened."""
    return can_manage_mou(user, mou)


def placements_to_confirm(user, queryset=None):
    """Reported placements this user may confirm or reject: those on MoUs they manage."""
    from partnerships.models import Confirmation, Placement

    queryset = Placement.objects.all() if queryset is None else queryset
    if not (is_administrator(user) or has_role(user, Role.AUTHORITY_STAFF)):
        return queryset.none()
    # Those held for an identity check wait for the person's managing authority first.
    queryset = queryset.filter(confirmation=Confirmation.REPORTED, identity_conflict__isnull=True)
    scope = _staff_scope(user)
    return queryset if scope is None else queryset.filter(pledge__mou__authority_id__in=scope)


def identity_conflicts_to_settle(user, queryset=None):
    """Placements held for an identity check that this user settles: those of people whose
    identity the user may see (staff of the managing authority only)."""
    from partnerships.models import Placement

    queryset = Placement.objects.all() if queryset is None else queryset
    scope = identity_scope(user)
    if not scope:
        return queryset.none()
    return queryset.filter(
        identity_conflict__isnull=False,
        person__owning_authority_id__in=scope,
        person__consent_withdrawn_on__isnull=True,
    )


def can_confirm_placement(user, placement) -> bool:
    return can_confirm_placements_of(user, placement.pledge.mou)


def can_end_placement(user, placement) -> bool:
    """The employer, or staff managing the MoU, record that a placement ended."""
    mou = placement.pledge.mou
    return _is_mou_business(user, mou) or can_manage_mou(user, mou)


def can_import_placements(user) -> bool:
    return can_list_placements(user)


# --- Transitions: which rule lets a person run each one ---
# The lifecycle services look the rule up here; the state machine on the models holds only
# states and conditions, so models never import this module.


def _only_the_system(user, mou: Mou) -> bool:
    # Marking an MoU signed follows verified signatures; no person presses that button.
    return user is None


MOU_ACTION_RULES: dict[str, Callable[..., bool]] = {
    "send": can_manage_mou,
    "recall": can_manage_mou,
    "decline": can_decline_mou,
    "cancel": can_manage_mou,
    "sign": _only_the_system,
    "activate": can_manage_mou,
    "review": can_review_mou,
    "terminate": can_manage_mou,
}

PLACEMENT_ACTION_RULES: dict[str, Callable[..., bool]] = {
    "confirm": can_confirm_placement,
    "reject": can_confirm_placement,
}


def may_change_mou(user, mou: Mou, action_name: str) -> bool:
    """Whether `user` may run the transition `action_name` on `mou` (state aside)."""
    rule = MOU_ACTION_RULES.get(action_name)
    return rule is not None and rule(user, mou)


def may_decide_placement(user, placement, action_name: str) -> bool:
    """Whether `user` may confirm or reject this reported placement (state aside)."""
    rule = PLACEMENT_ACTION_RULES.get(action_name)
    return rule is not None and rule(user, placement)


# --- Referrals (a person introduced to one business for one pledge line) ---
#
# - Staff of the person's managing authority refer them, and see their referrals.
# - Staff managing the MoU see the referrals to its lines (no names).
# - The business sees the referrals to its own MoUs and records what happened; it sees the
#   person's name and contact only while the referral is in progress or after a hire, and
#   never once the person withdrew consent (the name is erased then).
# - Administrators see the rows (no names); officials see counts only.


def can_refer(user, person) -> bool:
    """Staff of the authority that manages the person (as for seeing the name)."""
    return can_see_identity(user, person)


def visible_referrals(user, queryset=None):
    """The one filter every referral list and detail goes through."""
    from partnerships.models import Referral

    queryset = Referral.objects.all() if queryset is None else queryset
    if not roles_of(user):
        return queryset.none()
    if is_administrator(user):
        return queryset
    condition = Q(pk__in=[])
    if has_role(user, Role.AUTHORITY_STAFF):
        condition |= Q(person__owning_authority_id__in=identity_scope(user))
        condition |= Q(pledge__mou__authority_id__in=_staff_scope(user))
    partner_id = _user_partner_id(user)
    if has_role(user, Role.BUSINESS_REPRESENTATIVE) and partner_id:
        condition |= Q(pledge__mou__partner_id=partner_id)
    return queryset.filter(condition)


def can_list_referrals(user) -> bool:
    return can_list_placements(user)


def is_referred_business(user, referral) -> bool:
    """A representative of the business the person was referred to."""
    return _is_mou_business(user, referral.pledge.mou)


def can_record_referral_outcome(user, referral) -> bool:
    """The business the person was referred to records the interview and the outcome."""
    return is_referred_business(user, referral)


def can_see_referred_identity(user, referral) -> bool:
    """May this business representative see the referred person's name and contact? Only
    the business referred to, while the referral is in progress or ended in a hire, and only
    while the person's consent stands. (Each look is audited by the caller.)"""
    from partnerships.models import REFERRAL_IN_PROGRESS, Confirmation, ReferralStatus

    shown_states = {*REFERRAL_IN_PROGRESS, ReferralStatus.HIRED}
    return (
        referral.status in shown_states
        # Past its last day a referral is over, even before the sweeper marks it expired.
        and not referral.has_lapsed(timezone.localdate())
        # A hire the authority rejected did not happen: claiming one keeps no name.
        and not (
            referral.status == ReferralStatus.HIRED
            and referral.placement is not None
            and referral.placement.confirmation == Confirmation.REJECTED
        )
        and not referral.person.is_anonymised
        and is_referred_business(user, referral)
    )
