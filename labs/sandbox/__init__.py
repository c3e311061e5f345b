"""The lab sandbox: an emulated AWS account per run (moto plus our own emulation) and the
process isolation that keeps learner code away from the emulator's state and the checks.

Nothing in this package imports Django: it runs inside Celery workers, management
commands and its own forked processes alike. docs/SANDBOX.md explains the processes and
the trust argument; docs/LABS.md the checker API and the result contract.

- engine: `grade()`, `run()`, `get_engine()` for callers (starts the server lazily)
- server: the sandbox server process; boot order and the per-submission watchdog
- zygote: the runtime zygote (never imports moto) and the per-run runner
- learner: code that runs in learner processes (the before-send transport, the script
  runner, the Lambda execution environment loop)
- host, grading: the trusted host (serves learner requests with moto, runs the checks)
- lambda_runtime: the moto hook on LambdaFunction.invoke and the execution environments
- checker: the API checks.py is written against
- isolation: namespaces, rlimits, uid drop, the kill-everything sweep
- frames: the length-prefixed JSON + bytes protocol between all of these
- warmup: what the host zygote prepares once (moto exercised, clients, emulation)
- emulation/: API Gateway, event sources, Cognito triggers (docs/EMULATION.md)
"""
