"""Forms for people, placements and imports. They only parse what was typed; the rules
are in partnerships.placements.rules and the services."""

from django import forms
from django.db.models import BLANK_CHOICE_DASH
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.formats import DAY
from partnerships.models import (
    MAX_MONTHLY_WAGE,
    ConsentScope,
    ContractType,
    Gender,
    Mou,
    PlacementStatus,
    TargetGroup,
)
from partnerships.mous.forms import DmyDateInput
from partnerships.placements.rules import OLDEST_BIRTH_YEAR
from partnerships.placements.services import NAME_MAX_LENGTH


def _date_field(label):
    return forms.DateField(label=label, input_formats=[DAY], widget=DmyDateInput())


class PledgeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, pledge):
        return f"{pledge.line}. {pledge}"


class PlacementReportForm(forms.Form):
    """One placement with the person placed, as a business or staff member reports it."""

    pledge = PledgeChoiceField(label=_("Pledge"), queryset=None)
    start_date = _date_field(_("Start date"))
    occupation = forms.CharField(
        label=_("Occupation or trade"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the pledge's."),
    )
    # Not negative: checked with the other rules (services.report_rule_problems), so that
    # a negative wage does not hide the form's other mistakes.
    monthly_wage = forms.IntegerField(
        label=_("Monthly wage (VND)"), required=False, max_value=MAX_MONTHLY_WAGE
    )
    contract_type = forms.ChoiceField(label=_("Contract"), choices=ContractType.choices)

    national_id = forms.CharField(
        label=_("National ID number"),
        max_length=20,
        help_text=_("12-digit citizen ID, or 9-digit old ID card. Only a keyed hash is stored."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=NAME_MAX_LENGTH)
    # No gender chosen in advance: a default would be recorded by anyone who skips it.
    gender = forms.ChoiceField(label=_("Gender"), choices=BLANK_CHOICE_DASH + Gender.choices)
    birth_year = forms.IntegerField(label=_("Birth year"), required=False)
    target_group = forms.ModelChoiceField(
        label=_("Target group"), queryset=TargetGroup.objects.filter(is_active=True)
    )
    consent_given_on = _date_field(_("Consent given on"))
    consent_scope = forms.ChoiceField(
        label=_("Consent covers"), choices=ConsentScope.choices, initial=ConsentScope.PLACEMENT
    )
    # Shown once the wage is below the pledge's minimum: the reporter confirms it.
    low_wage_confirmed = forms.BooleanField(
        label=_("The wage is right: record it although it is below the pledged minimum"),
        required=False,
    )

    def __init__(self, *args, mou: Mou, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pledge"].queryset = mou.pledges.all()
        self.fields["birth_year"].widget.attrs.update(
            {"min": OLDEST_BIRTH_YEAR, "max": timezone.localdate().year}
        )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The business sees it. Do not write the person's name."),
    )


class EndPlacementForm(forms.Form):
    status = forms.ChoiceField(
        label=_("How it ended"),
        choices=[c for c in PlacementStatus.choices if c[0] != PlacementStatus.ACTIVE],
    )
    end_date = _date_field(_("End date"))
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Do not write the person's name."),
    )


class FindPersonForm(forms.Form):
    national_id = forms.CharField(
        label=_("National ID number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet"
            }
        ),
    )
