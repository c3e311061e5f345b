"""Operating-system confinement for processes that run learner code.

Everything here is best effort in a documented order: what the machine refuses (no root,
no mount namespace) is recorded in `Confinement.missing` instead of failing the grade, and
docs/SANDBOX.md lists what each layer protects. Python 3.11 has no `os.unshare`, so the
namespace calls go through ctypes.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import os
import resource
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1

# The first uid handed to sandboxes; each server process holds one slot (one uid), so
# RLIMIT_NPROC and the kill-everything-of-this-uid sweep never touch another worker's runs.
SANDBOX_UID_BASE = 61000
SANDBOX_SLOTS = 64

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(
    source: str, target: str, fstype: str | None, flags: int, data: str | None = None
) -> None:
    _check(
        _libc.mount(
            source.encode(),
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), "prctl")


@dataclass(frozen=True)
class Limits:
    """Resource limits for one learner process (and what it forks)."""

    cpu_seconds: int = 10
    wall_seconds: float = 10.0
    address_space_mb: int = 1024
    file_size_mb: int = 16
    processes: int = 48
    open_files: int = 128
    output_bytes: int = 64 * 1024
    # All learner processes of one run together (resident memory, polled every 50 ms).
    run_memory_mb: int = 2048


@dataclass
class Confinement:
    """What the confinement of a learner process achieved on this machine."""

    uid: int | None = None
    missing: list[str] = field(default_factory=list)


def is_root() -> bool:
    return os.geteuid() == 0


def acquire_uid_slot() -> tuple[int, int]:
    """Reserve a sandbox uid for this server process: returns (uid, lock fd to keep open)."""
    lock_dir = Path(tempfile.gettempdir())
    for slot in range(SANDBOX_SLOTS):
        fd = os.open(
            lock_dir / f"coldstart-sandbox-slot-{slot}.lock", os.O_CREAT | os.O_RDWR, 0o600
        )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return SANDBOX_UID_BASE + slot, fd
    raise RuntimeError(f"all {SANDBOX_SLOTS} sandbox uid slots are taken")


def _make_unlistable_dirs(path: str) -> None:
    """Create `path` and any missing parents with mode 0711: learner code can walk through
    to a re-exposed package directory but cannot list what leads there (e.g. the path of a
    checkout that lives under /tmp)."""
    missing = []
    current = os.path.abspath(path)
    while not os.path.isdir(current):
        missing.append(current)
        current = os.path.dirname(current)
    for directory in reversed(missing):
        os.mkdir(directory)
        os.chmod(directory, 0o711)  # noqa: S103 - traversable on purpose; the umask must not decide


def private_filesystem(hide: list[str], keep: list[str]) -> list[str]:
    """Give the calling process (the runtime zygote) a mount namespace in which the project,
    home directories, sockets and the host's /tmp are replaced by empty tmpfs mounts, /proc
    shows only the caller's own uid (hidepid=2), and the `keep` directories (the Python
    packages learner code imports lazily) are bind-mounted back read-only.
    Returns the names of the steps that failed."""
    failed: list[str] = []
    try:
        unshare(CLONE_NEWNS)
        mount("none", "/", None, MS_REC | MS_PRIVATE)
    except OSError:
        return ["mount namespace"]
    # The kept package directories are bind-mounted to a staging tmpfs first, while they are
    # still reachable: a virtualenv may live under /tmp (CI clones do), which the private
    # /tmp below would otherwise cover before it could be re-exposed.
    staged: list[tuple[str, str]] = []
    stage_root = "/dev/shm"  # noqa: S108 - a fresh tmpfs of this namespace, replaced below
    try:
        mount("tmpfs", stage_root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=700,size=1m")
    except OSError:
        failed.append("staging tmpfs")
    for index, path in enumerate(keep):
        stage = f"{stage_root}/.keep-{index}"
        try:
            os.makedirs(stage, exist_ok=True)
            mount(path, stage, None, MS_BIND | MS_REC)
            staged.append((stage, path))
        except OSError:
            failed.append(f"keep {path}")
    try:
        # A fresh tmpfs, private to this mount namespace: not the host's /tmp.
        mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=512m")  # noqa: S108
    except OSError:
        failed.append("private /tmp")
    for path in hide:
        if not os.path.isdir(path):
            continue
        try:
            # Traversable (to reach re-exposed packages) but never listable.
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=711,size=1m")
        except OSError:
            failed.append(f"hide {path}")
    for stage, path in staged:
        try:
            _make_unlistable_dirs(path)
            mount(stage, path, None, MS_BIND | MS_REC)
            mount("none", path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)
        except OSError:
            failed.append(f"re-expose {path}")
    # The staging mounts are no longer needed; /dev/shm gets its own fresh tmpfs below.
    for stage in [stage for stage, _path in staged] + [stage_root]:
        with contextlib.suppress(OSError):
            _check(_libc.umount2(stage.encode(), 2), "umount")  # MNT_DETACH
    for path in ("/dev/shm",):  # noqa: S108 - replaced by a private tmpfs, not used
        try:
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=16m")
        except OSError:
            failed.append(f"private {path}")
    try:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV, "hidepid=2")
    except OSError:
        failed.append("hidepid /proc")
    return failed


def confine(
    *,
    uid: int | None,
    scratch: str,
    env: dict[str, str],
    limits: Limits,
    keep_fds: list[int],
    network_isolated: bool = False,
) -> Confinement:
    """Called in a freshly forked child before any learner code runs; irreversible.
    `network_isolated` says the parent (the run's runner) already sits in an empty network
    namespace of its own, which the child then shares with the run's other processes."""
    result = Confinement(uid=uid)
    os.setsid()
    # Nothing of the parent's stays open but stdio and the channels this process was given.
    low = 3
    for fd in sorted(set(keep_fds)):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)
    if not network_isolated:
        try:
            unshare(CLONE_NEWNET)
        except OSError:
            try:
                unshare(CLONE_NEWUSER | CLONE_NEWNET)
            except OSError:
                result.missing.append("network namespace")
    # SIGXCPU at the soft CPU limit tells the learner why; SIGKILL a second later if trapped.
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    for name, value in (
        (resource.RLIMIT_AS, limits.address_space_mb * 1024 * 1024),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * 1024 * 1024),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(name, (value, value))
    if uid is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    try:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
    except OSError:
        result.missing.append("no_new_privs")
    os.chdir(scratch)
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    else:
        result.missing.append("unprivileged uid")
    os.environ.clear()
    os.environ.update(env)
    # Learner code must not inherit our signal dispositions.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    return result


def uid_processes(uid: int) -> list[int]:
    """Live (non-zombie) processes whose effective uid is `uid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid != uid:
                continue
            with open(f"/proc/{entry}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in (b"Z", b"X"):
            found.append(int(entry))
    return found


def uid_resident_mb(uid: int) -> float:
    """Resident memory of every live process of `uid`, in MB."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in uid_processes(uid):
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total * page / (1024 * 1024)


def sweep_uid(uid: int, deadline_s: float = 3.0) -> tuple[bool, list[tuple[int, int]]]:
    """Kill every process running as `uid` (the whole run, double-forked daemons
    included): a child that becomes `uid` sends kill(-1, SIGKILL), which reaches every
    process of that uid at once (a fork bomb cannot outrun it), until /proc shows none left.
    The caller is the run's subreaper, so it reaps the dead as they fall.
    Returns (finished, reaped pids)."""
    reaped: list[tuple[int, int]] = []
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if not uid_processes(uid):
            reaped.extend(reap_children())
            return True, reaped
        pid = os.fork()
        if pid == 0:
            try:
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        while True:
            reaped.extend(reap_children())
            if any(done == pid for done, _ in reaped):
                break
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if done:
                break
            time.sleep(0.0002)
        reaped.extend(reap_children())
    return False, reaped


def reap_children() -> list[tuple[int, int]]:
    """Collect every exited child (and orphan handed to us as subreaper) without blocking;
    returns (pid, wait status) of each."""
    reaped = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid == 0:
            return reaped
        reaped.append((pid, status))
