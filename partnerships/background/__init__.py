"""The background worker (`manage.py run_worker`) and the sweeper that keeps every queued job
moving to a final state (`manage.py sweep_stale_tasks`)."""
