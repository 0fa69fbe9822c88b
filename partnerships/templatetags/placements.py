"""Template tags of the placement pages."""

from django import template

from partnerships.placements.selectors import mous_open_for_reporting

register = template.Library()


@register.inclusion_tag("placements/_report_links.html")
def report_placement_links(user):
    """ "Report a placement" for each MoU the business representative may report on: from
    the dashboard and the placements page, one click instead of three."""
    return {"mous": mous_open_for_reporting(user=user)}
