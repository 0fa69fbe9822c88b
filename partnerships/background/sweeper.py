"""The sweeper: every rendering, import and task reaches a final state by itself.

Also expires overdue referrals (as `manage.py expire_referrals` does), so a place held by a
referral nobody answered opens again even where no cron job runs.

Run by every worker every TASK_SWEEP_INTERVAL seconds and by `manage.py sweep_stale_tasks`
(cron or a systemd timer, in case no worker is running). Each step is a conditional update,
so sweepers running at the same time do no harm.
"""

import logging
from dataclasses import dataclass, field

from django.utils import timezone

from partnerships.core.task_results import fail_abandoned_tasks
from partnerships.documents.rendering import sweep_stale_renderings
from partnerships.placements.imports.service import sweep_stale_imports
from partnerships.referrals.endings import expire_overdue_referrals

logger = logging.getLogger(__name__)


@dataclass
class SweepReport:
    tasks_failed: int = 0
    renderings: dict[str, int] = field(default_factory=dict)
    imports: dict[str, int] = field(default_factory=dict)
    referrals_expired: int = 0

    def __str__(self) -> str:
        renderings = ", ".join(f"{key} {value}" for key, value in self.renderings.items())
        imports = ", ".join(f"{key} {value}" for key, value in self.imports.items())
        return (
            f"tasks failed {self.tasks_failed}; renderings: {renderings}; imports: {imports}; "
            f"referrals expired {self.referrals_expired}"
        )

    @property
    def changed_anything(self) -> bool:
        # Expired referrals are the normal course of things, not stale work: not counted.
        counts = [self.tasks_failed, *self.renderings.values(), *self.imports.values()]
        return any(counts)


def sweep(*, now=None) -> SweepReport:
    """Fail the tasks of dead workers first, then settle the renderings and imports they
    left behind (a task just failed no longer counts as live)."""
    now = now or timezone.now()
    report = SweepReport(tasks_failed=fail_abandoned_tasks(now=now))
    report.renderings = sweep_stale_renderings(now=now)
    report.imports = sweep_stale_imports(now=now)
    report.referrals_expired = expire_overdue_referrals(today=timezone.localdate(now))
    if report.changed_anything:
        logger.warning("Sweeper: %s", report)
    elif report.referrals_expired:
        logger.info("Sweeper: %s referral(s) expired", report.referrals_expired)
    return report
