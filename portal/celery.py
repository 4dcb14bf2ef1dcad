"""The Celery application: broker and beat scheduler come from Django settings (CELERY_*)."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _ensure_filesystem_broker_dirs(**_kwargs) -> None:
    """The filesystem transport of `make run` needs its folders before it can queue anything."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


worker_init.connect(_ensure_filesystem_broker_dirs)
app.on_after_configure.connect(_ensure_filesystem_broker_dirs)
