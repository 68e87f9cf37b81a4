"""The Celery application: scheduled snapshot jobs on Redis (production) or none (embedded).

Production runs `celery -A dashboard worker` and `celery -A dashboard beat` (compose services
`worker` and `beat`). Without REDIS_URL the embedded default calls the same task functions from
an in-process scheduler (routing/jobs/scheduler.py), so no broker is needed.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("trafficlens")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["routing"])
