"""Forms for staff pages. Validation rules live on the models; forms only present them."""

from dataclasses import fields

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.formats import DAY, DAY_HINT
from partnerships.models import (
    Contact,
    DocumentTemplate,
    Mou,
    Partner,
    Pledge,
    Review,
)
from partnerships.mous.drafting import ContactDetails, DraftContent, PartnerDetails, PledgeLine


class DmyDateInput(forms.DateInput):
    """A text date field written dd/mm/yyyy, the way officials write dates."""

    def __init__(self, attrs=None):
        defaults = {"placeholder": DAY_HINT, "inputmode": "numeric", "autocomplete": "off"}
        super().__init__(attrs={**defaults, **(attrs or {})}, format=DAY)


class PartnerForm(forms.ModelForm):
    class Meta:
        model = Partner
        fields = ["name", "tax_code", "address", "sector", "workforce_size", "status"]
        widgets = {"tax_code": forms.TextInput(attrs={"inputmode": "numeric"})}

    def details(self) -> PartnerDetails:
        """The checked values, as the drafting service takes them."""
        return PartnerDetails(**{f.name: self.cleaned_data[f.name] for f in fields(PartnerDetails)})


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "full_name",
            "position",
            "email",
            "phone",
            "language",
            "is_legal_representative",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Emails go out in Vietnamese unless another language is chosen.
        self.fields["language"].required = False

    def clean_language(self):
        return self.cleaned_data.get("language") or Contact._meta.get_field("language").default

    def _get_validation_exclusions(self):
        # "One legal representative" is checked across the whole formset instead, so
        # that moving the role from one contact to another in one save is possible.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("is_legal_representative")
        return exclusions


ContactFormSet = inlineformset_factory(
    Partner,
    Contact,
    form=ContactForm,
    fields=ContactForm.Meta.fields,
    extra=1,
    can_delete=True,
)


class ContactFormSetWithOneRepresentative(ContactFormSet):
    def contacts(self) -> list[ContactDetails]:
        """The contacts to add or change, as the drafting service takes them."""
        names = [f.name for f in fields(ContactDetails) if f.name != "contact_id"]
        return [
            ContactDetails(
                **{name: form.cleaned_data[name] for name in names}, contact_id=form.instance.pk
            )
            for form in _kept_forms(self)
        ]

    def removed_contact_ids(self) -> list[int]:
        return [form.instance.pk for form in self.deleted_forms if form.instance.pk]

    def clean(self):
        super().clean()
        representatives = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("is_legal_representative")
        ]
        if len(representatives) > 1:
            raise forms.ValidationError(
                _("Only one contact can be marked as the legal representative who signs.")
            )


def _kept_forms(formset) -> list[forms.Form]:
    """The filled forms of a checked formset that are not marked for deletion."""
    return [
        form for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class SignatorySelect(forms.Select):
    """The partner's contacts, each option marked with its partner (data-partner), so the
    page's script can offer only the chosen partner's (the model checks it again)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-partner"] = instance.partner_id
        return option


class MouForm(forms.ModelForm):
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Mou
        fields = [
            "authority",
            "year",
            "number",
            "title",
            "partner",
            "partner_signatory",
            "authority_signatory_name",
            "authority_signatory_position",
            "template",
            "language",
            "term_start",
            "term_end",
            "mid_review_date",
            "final_review_date",
            "notes",
        ]
        widgets = {
            "term_start": DmyDateInput(),
            "term_end": DmyDateInput(),
            "mid_review_date": DmyDateInput(),
            "final_review_date": DmyDateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "partner_signatory": SignatorySelect,
        }

    def __init__(self, *args, authorities, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities
        self.fields["partner"].queryset = partners
        self.fields["partner_signatory"].queryset = Contact.objects.filter(
            partner__in=partners
        ).select_related("partner")
        self.fields["partner_signatory"].label_from_instance = lambda contact: (
            f"{contact.full_name} – {contact.position} – {contact.partner.name}"
        )
        self.fields["number"].required = False
        self.fields["number"].help_text = _("Leave empty to take the next free number.")
        if not self.instance.pk and self.initial.get("year") is None:
            # The form's initial data comes from the unsaved instance, whose year is None;
            # a field-level initial would lose to it and leave the box empty.
            self.initial["year"] = timezone.localdate().year
        else:
            self.fields["revision"].initial = self.instance.revision

    def content(self) -> DraftContent:
        """The checked values, as the drafting service takes them."""
        return DraftContent(**{f.name: self.cleaned_data[f.name] for f in fields(DraftContent)})


class BasePledgeFormSet(BaseInlineFormSet):
    def lines(self) -> list[PledgeLine]:
        """The pledge lines the draft keeps, in order, as the drafting service takes them."""
        names = [f.name for f in fields(PledgeLine) if f.name not in ("target_groups", "pledge_id")]
        return [
            PledgeLine(
                **{name: form.cleaned_data[name] for name in names},
                target_groups=tuple(form.cleaned_data["target_groups"]),
                pledge_id=form.instance.pk,
            )
            for form in _kept_forms(self)
        ]


PledgeFormSet = inlineformset_factory(
    Mou,
    Pledge,
    formset=BasePledgeFormSet,
    fields=[
        "kind",
        "quantity",
        "target_groups",
        "occupation",
        "min_monthly_wage",
        "workplace",
        "due_date",
    ],
    widgets={"target_groups": forms.CheckboxSelectMultiple, "due_date": DmyDateInput()},
    # The form field only knows "not negative"; give -1 the same message as 0, the model's.
    error_messages={"quantity": {"min_value": _("The quantity must be at least 1.")}},
    extra=1,
    can_delete=True,
)


class TransitionForm(forms.Form):
    note = forms.CharField(
        label=_("Reason or note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ["kind", "reviewed_on", "assessment", "notes", "recommendation"]
        widgets = {
            "reviewed_on": DmyDateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "recommendation": forms.Textarea(attrs={"rows": 2}),
        }


class TemplateUploadForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=DocumentTemplate.objects.filter(is_active=True)
    )
    file = forms.FileField(
        label=_("Word file (.docx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".docx,application/vnd.openxmlformats-officedocument."
                "wordprocessingml.document"
            }
        ),
    )
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)
