"""The expensive runs the tests share, prepared in the background while other tests run.

A refresh, a scenario run or a dbt build costs 20-80 s of one core; most tests only read what such
a run left behind. Each of those runs is a ``Job`` here: a function of its own work directory and
the results of the jobs it builds on, made once per session and handed to the tests by a session
fixture (tests/conftest.py). The ``Scheduler`` starts every job the collected tests need as soon as
the jobs it depends on are done, in the order of ``tests/conftest.py``'s job list, in background
threads (each job mostly waits for its subprocesses), so that on the two cores of the test machine
one job runs while the tests run and two while the tests wait for one.

- Nothing is prepared that no collected test needs: ``pytest tests/unit`` starts no job.
- A job that fails (or whose dependency failed) fails every test that needs it, with its output.
- Jobs see the environment as it was when the session started, never a test's monkeypatched one,
  and are given absolute paths only (a test may change the working directory).
- Subprocesses still running at the end of the session (``-x``, Ctrl-C) are killed, by their own
  process group.
- ``pytest_terminal_summary`` (conftest) prints when each job ran.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JobFunction = Callable[["JobContext"], Any]


@dataclass(frozen=True)
class Job:
    name: str
    function: JobFunction
    deps: tuple[str, ...] = ()
    fixtures: tuple[str, ...] = ()  # the fixtures that hand its result to the tests


@dataclass
class JobContext:
    """What a job function gets: its own directory, the results it builds on, and ``run``."""

    name: str
    workdir: Path
    deps: Mapping[str, Any]
    env: Mapping[str, str]  # the environment at session start
    scheduler: Scheduler

    def run(self, args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path,
            timeout: float = 1200) -> subprocess.CompletedProcess:
        """Run a command to its end (output captured as text); killed with the session."""
        process = self.popen(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.scheduler.kill(process)
            stdout, stderr = process.communicate()
            raise AssertionError(
                f"{' '.join(map(str, args))} did not finish in {timeout} s:"
                f"\n{stdout[-3000:]}\n{stderr[-3000:]}"
            ) from None
        finally:
            self.scheduler.forget(process)
        return subprocess.CompletedProcess(list(map(str, args)), process.returncode, stdout, stderr)

    def popen(self, args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path,
              **kwargs: Any) -> subprocess.Popen:
        """Start a command in a process group of its own, registered for the session's clean-up;
        the caller waits for it and then calls ``scheduler.forget``."""
        process = subprocess.Popen(
            [str(a) for a in args],
            env=dict(env if env is not None else self.env),
            cwd=cwd,
            text=True,
            start_new_session=True,
            **kwargs,
        )
        self.scheduler.register(process)
        return process


@dataclass
class _State:
    job: Job
    status: str = "pending"  # pending, running, done, failed
    result: Any = None
    error: BaseException | None = None
    queued_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    waited: float = 0.0  # how long tests waited for it
    done: threading.Event = field(default_factory=threading.Event)


class Scheduler:
    """Runs the needed jobs in background threads, ``slots`` at a time counting the tests' thread."""

    def __init__(self, jobs: Sequence[Job], root: Path, env: Mapping[str, str], slots: int = 2):
        self._jobs = {job.name: job for job in jobs}
        self._order = [job.name for job in jobs]
        self._root = root
        self._env = dict(env)
        self._slots = slots
        self._states: dict[str, _State] = {}
        self._lock = threading.Condition()
        self._main_waiting = 0
        self._processes: set[subprocess.Popen] = set()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._t0 = time.monotonic()

    # --- planning -----------------------------------------------------------------------------------

    def jobs_for_fixtures(self, fixtures: Iterable[str]) -> list[str]:
        wanted = set(fixtures)
        return [name for name in self._order if wanted & set(self._jobs[name].fixtures)]

    def with_deps(self, names: Iterable[str]) -> list[str]:
        needed: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name not in needed:
                needed.add(name)
                stack.extend(self._jobs[name].deps)
        return [name for name in self._order if name in needed]

    def rank(self, name: str) -> int:
        return self._order.index(name) + 1

    def start(self, names: Iterable[str]) -> None:
        with self._lock:
            for name in self.with_deps(names):
                if name not in self._states:
                    self._states[name] = _State(self._jobs[name], queued_at=self._now())
            self._lock.notify_all()
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="shared-runs", daemon=True)
            self._thread.start()

    # --- results -------------------------------------------------------------------------------------

    def result(self, name: str) -> Any:
        """The job's result; waits for it (and starts it if it was not planned). Re-raises its failure."""
        if name not in self._states:
            self.start([name])
        state = self._states[name]
        if not state.done.is_set():
            began = time.monotonic()
            with self._lock:
                self._main_waiting += 1
                self._lock.notify_all()
            try:
                state.done.wait()
            finally:
                with self._lock:
                    self._main_waiting -= 1
                state.waited += time.monotonic() - began
        if state.status != "done":
            raise JobFailed(name, state.error)
        return state.result

    def report(self) -> list[str]:
        lines = []
        for name in self._order:
            state = self._states.get(name)
            if state is None:
                continue
            if state.started_at is None:
                lines.append(f"{name:<22} never started ({state.status})")
                continue
            end = state.finished_at if state.finished_at is not None else self._now()
            lines.append(
                f"{name:<22} {state.status:<7} ran {state.started_at:6.1f}-{end:6.1f} s "
                f"({end - state.started_at:5.1f} s); tests waited {state.waited:5.1f} s"
            )
        return lines

    # --- processes -------------------------------------------------------------------------------------

    def register(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._processes.add(process)
            closed = self._closed
        if closed:
            self.kill(process)

    def forget(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._processes.discard(process)

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        """Kill what still runs (a session cut short); jobs not started never start."""
        with self._lock:
            self._closed = True
            processes = list(self._processes)
            self._lock.notify_all()
        for process in processes:
            self.kill(process)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass

    # --- the loop --------------------------------------------------------------------------------------

    def _now(self) -> float:
        return time.monotonic() - self._t0

    def _loop(self) -> None:
        with self._lock:
            while not self._closed:
                running = sum(1 for s in self._states.values() if s.status == "running")
                capacity = self._slots - (0 if self._main_waiting else 1)
                started = False
                if running < max(1, capacity):
                    for name in self._order:
                        state = self._states.get(name)
                        if state is None or state.status != "pending":
                            continue
                        deps = [self._states[d] for d in state.job.deps]
                        if any(d.status == "failed" for d in deps):
                            failed = ", ".join(d.job.name for d in deps if d.status == "failed")
                            state.status = "failed"
                            state.error = RuntimeError(f"a job it needs failed: {failed}")
                            state.done.set()
                            started = True
                            break
                        if all(d.status == "done" for d in deps):
                            state.status, state.started_at = "running", self._now()
                            threading.Thread(target=self._run, args=(state,), name=name, daemon=True).start()
                            started = True
                            break
                if not started:
                    self._lock.wait(timeout=1.0)

    def _run(self, state: _State) -> None:
        job = state.job
        workdir = self._root / job.name
        workdir.mkdir(parents=True, exist_ok=True)
        results = {d: self._states[d].result for d in job.deps}
        context = JobContext(job.name, workdir, results, self._env, self)
        try:
            result = job.function(context)
        except BaseException as exc:  # noqa: BLE001 - handed to the tests that need the job
            with self._lock:
                state.status, state.error, state.finished_at = "failed", exc, self._now()
                self._lock.notify_all()
        else:
            with self._lock:
                state.status, state.result, state.finished_at = "done", result, self._now()
                self._lock.notify_all()
        finally:
            state.done.set()


class JobFailed(Exception):
    def __init__(self, name: str, error: BaseException | None):
        super().__init__(f"the shared run {name!r} failed: {type(error).__name__}: {error}")
        self.error = error
