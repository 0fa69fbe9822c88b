"""The report pages, in the order the navigation above every report lists them."""

from django.utils.translation import gettext_lazy as _

REPORT_PAGES = [
    ("report_mous", _("Per MoU")),
    ("report_partners", _("Per partner")),
    ("report_authorities", _("Per authority")),
    ("report_groups", _("Per target group and gender")),
    ("report_periods", _("Per year and quarter")),
    ("report_funnel", _("From pledge to job")),
    ("report_cohorts", _("Retention by cohort")),
]
