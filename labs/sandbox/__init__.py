"""The lab sandbox: an emulated AWS account per run (moto plus our own emulation) and the
process isolation that keeps learner code away from the emulator's state and the checks.

Nothing in this package imports Django: it runs inside Celery workers, management
commands and its own forked processes alike.
"""
