from celery.signals import celeryd_init, worker_process_init
from django.conf import settings

import labs.tasks  # noqa: F401 - a Celery worker imports it through task autodiscovery
from labs.sandbox import engine


def test_worker_process_init_boots_this_process_sandbox_server():
    worker_process_init.send(sender=None)
    server = engine.get_engine().process
    assert server is not None
    assert server.poll() is None  # running, ready for the first submission


def test_only_workers_on_the_grading_queue_boot_a_sandbox(monkeypatch):
    assert settings.CELERY_TASK_ROUTES["labs.tasks.grade_submission"]["queue"] == "grading"
    started = []
    monkeypatch.setattr(engine.Engine, "start", lambda self: started.append(self))
    for queues, boots in [
        ("grading,maintenance", True),
        (["grading"], True),
        ("maintenance", False),
        (None, False),  # no -Q: the default queue, maintenance
    ]:
        started.clear()
        celeryd_init.send(sender="w@host", instance=None, conf=None, options={"queues": queues})
        worker_process_init.send(sender=None)
        assert len(started) == int(boots), queues
    celeryd_init.send(sender="w@host", instance=None, conf=None, options={"queues": "grading"})
