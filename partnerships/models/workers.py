"""The background workers' heartbeats: how the sweeper tells a dead worker from a busy one.

A worker (`manage.py run_worker`) writes its row every WORKER_HEARTBEAT_INTERVAL seconds from a
thread of its own, so a long task does not silence it. A worker killed (SIGKILL, out of memory,
the machine lost) stops beating; after three missed beats the sweeper treats the tasks it was
running as dead and gives their renderings and imports a final state.
"""

from django.db import models


class WorkerHeartbeat(models.Model):
    """Internal bookkeeping, never edited through a form: its fields need no labels."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True)
    queues = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"
