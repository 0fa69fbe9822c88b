"""Tables for lists and their CSV/XLSX exports."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from partnerships.models import Mou, MouState


class AsSentColumn(tables.Column):
    """A party's value as the MoU's document names it (Mou.parties): the one fixed when it
    was sent, else the live record's (the accessor's). Filters and sorting use the live one."""

    def __init__(self, *args, fixed: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed = fixed

    def render(self, value, record):
        return getattr(record, self.fixed) if record.parties_fixed_at else value


class MouTable(tables.Table):
    document_number = tables.Column(
        verbose_name=_("Number"),
        linkify=True,
        # The id breaks ties between authorities that use the same number in a year, so
        # every page of the list holds different MoUs.
        order_by=("year", "number", "pk"),
        accessor="document_number",
    )
    year = tables.Column(verbose_name=_("Year"))
    title = tables.Column(verbose_name=_("Title"), linkify=True)
    authority = AsSentColumn(
        verbose_name=_("Authority"), accessor="authority__name", fixed="sent_authority_name"
    )
    partner = AsSentColumn(
        verbose_name=_("Partner"), accessor="partner__name", fixed="sent_partner_name"
    )
    tax_code = AsSentColumn(
        verbose_name=_("Tax code"),
        accessor="partner__tax_code",
        fixed="sent_partner_tax_code",
        visible=False,
    )
    state = tables.Column(verbose_name=_("State"))
    term_start = tables.DateColumn(verbose_name=_("Term start"), short=True)
    term_end = tables.DateColumn(verbose_name=_("Term end"), short=True)
    pledged_places = tables.Column(verbose_name=_("Pledged places"), attrs={"td": {"class": "num"}})

    class Meta:
        model = Mou
        fields = ()
        # The authority beside the number: two authorities may both have a 5/BGN-UBND.
        sequence = (
            "document_number",
            "authority",
            "year",
            "title",
            "partner",
            "tax_code",
            "state",
            "term_start",
            "term_end",
            "pledged_places",
        )
        # A column name: "-number" alone is not a column, and django-tables2 dropped it
        # silently, so the list was ordered by year only.
        order_by = ("-document_number",)
        empty_text = _("No MoUs match these filters.")
        attrs = {"class": "data-table"}

    # MouState(...).label rather than get_state_display(), which hashes every lazily
    # translated choice on each call: a tenth of the CSV export's time.
    def render_state(self, value, record):
        return format_html(
            '<span class="badge state-{}">{}</span>', record.state, MouState(record.state).label
        )

    def value_state(self, value, record):
        return MouState(record.state).label
