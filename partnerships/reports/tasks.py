"""The reports' background task lives beside its service (reports/tallies.py); this path
names it for django-tasks like the other domains' tasks modules."""

from partnerships.reports.tallies import refresh_delivery_tallies

__all__ = ["refresh_delivery_tallies"]
