from celery.signals import worker_process_init

import labs.tasks  # noqa: F401 - a Celery worker imports it through task autodiscovery
from labs.sandbox import engine


def test_worker_process_init_boots_this_process_sandbox_server():
    worker_process_init.send(sender=None)
    server = engine.get_engine().process
    assert server is not None
    assert server.poll() is None  # running, ready for the first submission
