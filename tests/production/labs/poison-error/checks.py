"""A poison lab: its check kills the sandbox host process grading it, so the sandbox
reports a grader error ("the grading process failed") every time it is graded."""

import os
import signal

from labs.sandbox.checker import check


@check("Grading this breaks the grader", points=1)
def break_grader(ctx):
    os.kill(os.getpid(), signal.SIGKILL)
