"""The query API's background computations as Celery tasks (burrow.core.workers), with BURROW_BROKER_URL."""

from burrow.core.workers import app
from burrow.queries.execution import COMPUTE_TASK, run_task


@app.task(name=COMPUTE_TASK)
def compute(task_pk: int) -> None:
    run_task(task_pk)
