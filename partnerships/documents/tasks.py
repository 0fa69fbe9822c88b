"""Task path kept so rendering jobs queued while the task lived here still run.

django-tasks stores each queued job's dotted path; the task now lives in the service module
it runs, `partnerships.documents.rendering` (one module, so the service that queues it and the
task that calls the service do not import each other). Nothing new imports this module.
"""

from partnerships.documents.rendering import render_mou_document

__all__ = ["render_mou_document"]
