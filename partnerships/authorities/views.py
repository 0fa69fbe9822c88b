"""Partner pages: list, register, edit, detail with contacts and MoUs."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from partnerships.authorities.permissions import (
    can_create_mou,
    can_edit_partner,
    can_register_partner,
    visible_mous,
    visible_partners,
)
from partnerships.core.access import role_required
from partnerships.models import Authority, MouState, Partner
from partnerships.mous import drafting
from partnerships.mous.forms import ContactFormSetWithOneRepresentative, PartnerForm
from partnerships.reports import partner as partner_reports
from partnerships.reports import queries
from partnerships.reports.charts import Bar, pledged_vs_delivered
from partnerships.reports.tables import CountedPaginator, LineReportTable, PeriodReportTable


@role_required
def partner_list(request):
    search = request.GET.get("q", "").strip()
    partners = visible_partners(request.user).annotate(
        mou_count=Count("mous", filter=Q(mous__in=visible_mous(request.user)))
    )
    if search:
        partners = partners.filter(Q(name__icontains=search) | Q(tax_code__startswith=search))
    return render(
        request,
        "partners/list.html",
        {
            "partners": partners.order_by("name")[:200],
            "search": search,
            "can_register": can_register_partner(request.user),
        },
    )


@role_required
def partner_detail(request, pk):
    partner = get_object_or_404(visible_partners(request.user), pk=pk)
    as_of = timezone.localdate()
    pledges = partner_reports.partner_pledges(user=request.user, partner=partner)
    totals = queries.totals(pledges, as_of=as_of)
    lines = LineReportTable(
        queries.line_rows(pledges, as_of=as_of), totals=totals, exclude=("partner",)
    )
    RequestConfig(
        request,
        paginate={"per_page": 25, "paginator_class": CountedPaginator, "count": totals.lines},
    ).configure(lines)
    periods = queries.period_rows(pledges, as_of=as_of)
    return render(
        request,
        "partners/detail.html",
        {
            "partner": partner,
            "contacts": partner.contacts.all(),
            "mous": partner_reports.partner_mous(user=request.user, partner=partner, as_of=as_of),
            "can_edit": can_edit_partner(request.user, partner),
            "can_create_mou": can_create_mou(request.user),
            "lines": lines,
            "totals": totals,
            "workforce": partner_reports.workforce_share(partner, user=request.user),
            "counted_states": MouState.SIGNED_ONCE,
            "periods": PeriodReportTable(periods, totals=totals),
            "delivery_chart": pledged_vs_delivered(
                [Bar(row.label, row.pledged, row.delivered_to_date) for row in periods[-12:]],
                title=_("Pledged and delivered by quarter"),
                description=_(
                    "Places pledged by the MoUs in force in each quarter, and what they had "
                    "delivered by its end."
                ),
                identifier="partner-delivery",
            ),
        },
    )


def _save_partner(request, partner):
    form = PartnerForm(request.POST or None, instance=partner)
    contact_formset = ContactFormSetWithOneRepresentative(
        request.POST or None, instance=partner, prefix="contacts"
    )
    if request.method == "POST" and form.is_valid() and contact_formset.is_valid():
        try:
            saved = drafting.save_partner(
                partner=partner,
                details=form.details(),
                contacts=contact_formset.contacts(),
                removed_contact_ids=contact_formset.removed_contact_ids(),
                actor=request.user,
            )
        except drafting.PartnerError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Partner %(name)s saved.") % {"name": saved.name})
            return redirect("partner_detail", pk=saved.pk)
    return render(
        request,
        "partners/form.html",
        {"form": form, "contact_formset": contact_formset, "partner": partner},
    )


@role_required
def partner_create(request):
    if not can_register_partner(request.user):
        raise PermissionDenied
    authority = getattr(getattr(request.user, "profile", None), "authority", None)
    if authority is None:
        authority = Authority.objects.filter(is_dissolved=False).order_by("pk").first()
    if authority is None:
        messages.error(request, _("Register an authority first (administration pages)."))
        return redirect("partner_list")
    return _save_partner(request, Partner(registered_by=authority))


@role_required
def partner_edit(request, pk):
    partner = get_object_or_404(visible_partners(request.user), pk=pk)
    if not can_edit_partner(request.user, partner):
        raise PermissionDenied
    return _save_partner(request, partner)
