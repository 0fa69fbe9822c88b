"""Referral pages: staff refer a person from the person's page; the list (no names) for
staff, the business and administrators, counts for officials; one referral, where the
business referred to sees who it is meeting (audited) and records the outcome."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from partnerships.authorities.permissions import (
    can_list_referrals,
    can_record_referral_outcome,
    can_refer,
    can_see_identity,
    can_see_referred_identity,
    visible_people,
)
from partnerships.core.access import role_required
from partnerships.core.errors import RegistryError
from partnerships.models import ReferralStatus
from partnerships.referrals import selectors
from partnerships.referrals import services as referrals
from partnerships.referrals.forms import (
    HireForm,
    InterviewForm,
    NoShowForm,
    NotHiredForm,
    ReferForm,
)


def _add_error(form, error: RegistryError) -> None:
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, error.message)


@never_cache
@role_required
def person_refer(request, pk):
    """Staff of the person's authority refer them to an open line. Anyone else: 404."""
    person = get_object_or_404(visible_people(request.user).select_related("target_group"), pk=pk)
    if not can_refer(request.user, person):
        messages.error(request, _("This person withdrew their consent: they cannot be referred."))
        return redirect("person_detail", pk=pk)
    lines = selectors.lines_for(user=request.user, person=person)
    initial = {"share_consent_on": timezone.localdate()}
    form = ReferForm(request.POST or None, lines=lines, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            referral = referrals.refer_person(
                actor=request.user,
                person=person,
                pledge=form.cleaned_data["pledge"],
                contact=form.cleaned_data["contact"],
                share_consent=form.cleaned_data["share_consent"],
                share_consent_on=form.cleaned_data["share_consent_on"],
            )
        except referrals.ReferralError as error:
            _add_error(form, error)
        else:
            messages.success(
                request,
                _("Referred. The business sees the name and contact until it records the outcome."),
            )
            return redirect("referral_detail", pk=referral.pk)
    return render(
        request,
        "referrals/refer.html",
        {"person": person, "form": form, "has_lines": lines.exists()},
    )


@role_required
def referral_list(request):
    if not can_list_referrals(request.user):
        # Officials, and anyone else who may see MoUs but not people: counts only.
        return render(
            request,
            "referrals/counts.html",
            {"counts": selectors.referral_counts(user=request.user)},
        )
    status = request.GET.get("status", "")
    queryset = selectors.referral_list(user=request.user, status=status)
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "referrals/list.html",
        {
            "page": page,
            "status": status,
            "status_choices": [(selectors.IN_PROGRESS, _("In progress")), *ReferralStatus.choices],
        },
    )


@never_cache
@role_required
def referral_detail(request, pk):
    """One referral. The business referred to sees the name and contact while it may (each
    look audited); staff of the person's authority find the name on the person's page."""
    referral = get_object_or_404(selectors.referral_for_detail(user=request.user), pk=pk)
    return _detail_page(request, referral)


def _detail_page(request, referral, forms=None, status=200):
    referred_person = None
    if can_see_referred_identity(request.user, referral):
        referred_person = referrals.reveal_referred_person(referral=referral, actor=request.user)
    today = timezone.localdate()
    may_record = (
        referral.is_in_progress
        and not referral.has_lapsed(today)
        and can_record_referral_outcome(request.user, referral)
    )
    forms = forms or {}
    context = {
        "referral": referral,
        "referred_person": referred_person,
        "shows_person_link": can_see_identity(request.user, referral.person),
        "may_record": may_record,
    }
    if may_record:
        context |= {
            "interview_form": forms.get("interviewed")
            or InterviewForm(initial={"interviewed_on": today}),
            "hire_form": forms.get("hired")
            or HireForm(initial={"start_date": today, "occupation": referral.pledge.occupation}),
            "not_hired_form": forms.get("not-hired") or NotHiredForm(initial={"decided_on": today}),
            "no_show_form": forms.get("no-show") or NoShowForm(initial={"on": today}),
        }
    return render(request, "referrals/detail.html", context, status=status)


OUTCOMES = {
    "interviewed": (
        InterviewForm,
        lambda referral, actor, data: referrals.record_interview(
            referral=referral, actor=actor, interviewed_on=data["interviewed_on"]
        ),
    ),
    "hired": (
        HireForm,
        lambda referral, actor, data: referrals.record_hire(
            referral=referral,
            actor=actor,
            start_date=data["start_date"],
            contract_type=data["contract_type"],
            monthly_wage=data["monthly_wage"],
            occupation=data["occupation"],
        ),
    ),
    "not-hired": (
        NotHiredForm,
        lambda referral, actor, data: referrals.record_not_hired(
            referral=referral, actor=actor, reason=data["reason"], decided_on=data["decided_on"]
        ),
    ),
    "no-show": (
        NoShowForm,
        lambda referral, actor, data: referrals.record_no_show(
            referral=referral, actor=actor, on=data["on"]
        ),
    ),
}

OUTCOME_MESSAGES = {
    "interviewed": gettext_lazy("Interview recorded."),
    "hired": gettext_lazy(
        "Hire recorded: the placement awaits confirmation by the authority's staff."
    ),
    "not-hired": gettext_lazy("Recorded: not hired."),
    "no-show": gettext_lazy("Recorded: the person did not come."),
}


@never_cache  # a refused outcome shows the referral's page again, name and contact included
@role_required
@require_POST
def referral_outcome(request, pk, outcome):
    """The business referred to records an interview or the outcome. Another business gets
    404 (it cannot see the referral); staff and administrators get 403."""
    if outcome not in OUTCOMES:
        raise PermissionDenied
    referral = get_object_or_404(selectors.referral_for_detail(user=request.user), pk=pk)
    if not can_record_referral_outcome(request.user, referral):
        raise PermissionDenied
    form_class, record = OUTCOMES[outcome]
    form = form_class(request.POST)
    if form.is_valid():
        try:
            record(referral, request.user, form.cleaned_data)
        except RegistryError as error:
            _add_error(form, error)
        else:
            messages.success(request, str(OUTCOME_MESSAGES[outcome]))
            return redirect("referral_detail", pk=pk)
    referral = selectors.referral_for_detail(user=request.user).get(pk=pk)
    if not referral.is_in_progress or referral.has_lapsed(timezone.localdate()):
        # Recorded meanwhile (or expired): the forms are gone, so the message goes on top.
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect("referral_detail", pk=pk)
    return _detail_page(request, referral, forms={outcome: form}, status=400)
