"""Forms for referrals: they only parse what was typed; the rules are in the services."""

from django import forms
from django.db.models import BLANK_CHOICE_DASH
from django.utils.translation import gettext_lazy as _

from partnerships.formats import DAY
from partnerships.models import MAX_MONTHLY_WAGE, ContractType, NotHiredReason
from partnerships.mous.forms import DmyDateInput
from partnerships.referrals.services import CONTACT_MAX_LENGTH


def _date_field(label, **kwargs):
    return forms.DateField(label=label, input_formats=[DAY], widget=DmyDateInput(), **kwargs)


class LineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, pledge):
        mou = pledge.mou
        return (
            f"{mou.document_number} ({mou.authority.name}) · {mou.partner.name} · "
            f"{pledge.line}. {pledge.occupation} · "
            + str(_("%(count)s open") % {"count": pledge.open_places})
        )


class ReferForm(forms.Form):
    """Staff refer a person to one open pledge line, with the person's consent to share."""

    pledge = LineChoiceField(label=_("Pledge line"), queryset=None)
    contact = forms.CharField(
        label=_("Contact for the business"),
        max_length=CONTACT_MAX_LENGTH,
        help_text=_("A phone number the person agreed to give this business."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    share_consent_on = _date_field(_("Consent to share given on"))
    # Not required here: the service refuses an unticked box with its own message, so the
    # refusal reads the same whichever way the request came.
    share_consent = forms.BooleanField(
        label=_(
            "The person agreed that their name and contact go to this one business, for this "
            "referral"
        ),
        required=False,
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pledge"].queryset = lines


class InterviewForm(forms.Form):
    interviewed_on = _date_field(_("Interviewed on"))


class HireForm(forms.Form):
    start_date = _date_field(_("Start date"))
    contract_type = forms.ChoiceField(
        label=_("Contract"), choices=BLANK_CHOICE_DASH + ContractType.choices
    )
    monthly_wage = forms.IntegerField(
        label=_("Monthly wage (VND)"), required=False, min_value=0, max_value=MAX_MONTHLY_WAGE
    )
    occupation = forms.CharField(
        label=_("Occupation or trade"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the pledge's."),
    )


class NotHiredForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=BLANK_CHOICE_DASH + NotHiredReason.choices
    )
    decided_on = _date_field(_("Decided on"))


class NoShowForm(forms.Form):
    on = _date_field(_("The day they were expected"))
