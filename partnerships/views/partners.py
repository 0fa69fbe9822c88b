"""Partner pages: list, register, edit, detail with contacts and MoUs."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from partnerships import drafting, selectors
from partnerships.forms import ContactFormSetWithOneRepresentative, PartnerForm
from partnerships.models import Authority, Partner
from partnerships.permissions import (
    can_edit_partner,
    can_register_partner,
    visible_mous,
    visible_partners,
)

from .access import role_required


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
    return render(
        request,
        "partners/detail.html",
        {
            "partner": partner,
            "contacts": partner.contacts.all(),
            "mous": selectors.mou_list(user=request.user).filter(partner=partner),
            "can_edit": can_edit_partner(request.user, partner),
        },
    )


def _save_partner(request, partner):
    form = PartnerForm(request.POST or None, instance=partner)
    contact_formset = ContactFormSetWithOneRepresentative(
        request.POST or None, instance=partner, prefix="contacts"
    )
    if request.method == "POST" and form.is_valid() and contact_formset.is_valid():
        saved = drafting.save_partner(
            form=form, contact_formset=contact_formset, actor=request.user
        )
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
