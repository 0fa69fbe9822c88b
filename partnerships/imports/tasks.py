"""Old task paths, kept so import jobs queued before the code moved still run.

django-tasks stores each queued job's dotted path; the tasks now live beside their service in
`partnerships.placements.imports.service`. Nothing new imports this module.
"""

from partnerships.placements.imports.service import read_import_file, run_placement_import

__all__ = ["read_import_file", "run_placement_import"]
