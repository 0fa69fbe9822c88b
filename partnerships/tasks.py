"""Old task path, kept so rendering jobs queued before the code moved still run.

django-tasks stores each queued job's dotted path; the task now lives beside its service in
`partnerships.documents.rendering`. Nothing new imports this module.
"""

from partnerships.documents.rendering import render_mou_document

__all__ = ["render_mou_document"]
