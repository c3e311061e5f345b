"""A poison lab: its check kills the Celery pool process that is grading it (the worker a
real crash-inducing submission would take down), every time it is graded.

Checks run in the sandbox's trusted host, a child of the sandbox server, whose parent is the
process that called the engine. Only a Celery process is killed; graded anywhere else (a
test grading in-process, say) the host kills itself, which is a grader error as well.
"""

import os
import signal
from pathlib import Path

from labs.sandbox.checker import check


def _parent_of(pid):
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[1])


@check("Grading this kills the worker", points=1)
def kill_worker(ctx):
    caller = _parent_of(os.getppid())
    cmdline = Path(f"/proc/{caller}/cmdline").read_bytes()
    victim = caller if b"celery" in cmdline else os.getpid()
    os.kill(victim, signal.SIGKILL)
    # The sandbox server, orphaned, gets a failed host and exits on its closed pipe.
    os.kill(os.getpid(), signal.SIGKILL)
