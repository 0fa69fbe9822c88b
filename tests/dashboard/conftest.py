from tests.placements.conftest import placements_world  # noqa: F401
