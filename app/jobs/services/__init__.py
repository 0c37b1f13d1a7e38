"""The scheduler: a registry of jobs, their due times, and running each due time exactly once.

How "exactly once" holds with any number of processes on any number of machines:

1. Due times come from the trigger alone (interval triggers are anchored at a fixed
   instant, cron triggers at the wall clock), so every process computes the same due times.
2. Before a job runs, its run is inserted into `job_run`, committed on its own, under the
   unique key (job_id, due_at). The database lets exactly one insert through; every other
   runner of that due time gets an IntegrityError and skips. A run that the runner did not
   finish (the process died) stays visible and is marked failed when another process takes
   the lease over.
3. A lease row (`scheduler_lease`) names the one active scheduler process. It is renewed by
   a heartbeat every LOUPAN_SCHEDULER_HEARTBEAT_SECONDS; another process takes it over once
   it has expired (LOUPAN_SCHEDULER_LEASE_SECONDS). Only the holder fires jobs, so idle
   runners cost nothing; the unique key, not the lease, is what guarantees one run.
4. The active runner catches up on a due time that nobody ran (the previous holder died,
   or the scheduler was stopped) if it is at most the job's catch_up_seconds old.

Times in the tables are naive UTC, whole seconds for due times.
"""

# One file per concept; every name the rest of Loupan uses is re-exported here, so callers
# keep writing `from app.jobs import services; services.run_due(...)`.
from app.jobs.services.lease import (  # noqa: F401
    LEASE_NAME, LeaseState, acquire_lease, heartbeat_status, lease_status, release_lease, take_lease,
)
from app.jobs.services.overview import last_runs, overview  # noqa: F401
from app.jobs.services.registry import (  # noqa: F401
    ANCHOR, INTERVAL_UNITS, UTC, JobNotFound, JobSpec, _registry, current_due_time, get_job,
    job_label, jobs, next_due_time, register_job, scheduler_timezone, truncate, unregister_job,
)
from app.jobs.services.runner import (  # noqa: F401
    CATCH_UP_MIN_AGE, HEARTBEAT_JOB, Runner, build_scheduler, serving_process, start_in_process,
)
from app.jobs.services.runs import (  # noqa: F401
    MESSAGE_LENGTH, RunResult, mark_interrupted, run_current, run_due, run_now, runner_id,
)
