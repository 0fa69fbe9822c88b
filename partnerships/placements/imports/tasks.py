"""Task paths kept so import jobs queued while the tasks lived here still run.

django-tasks stores each queued job's dotted path; the tasks now live in the service module
they run, `partnerships.placements.imports.service`. Nothing new imports this module.
"""

from partnerships.placements.imports.service import read_import_file, run_placement_import

__all__ = ["read_import_file", "run_placement_import"]
