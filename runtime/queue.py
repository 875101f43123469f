"""The three ways a job runs: rq, in-process threads (embedded mode), or by hand in tests.

Jobs are named by path ("jobs.inbox.process_event") and take plain arguments (ids), so the same
call works on every backend; the queue names themselves are the jobs layer's (jobs/queue.py).
"""

from __future__ import annotations

import importlib
import logging
import queue as stdqueue
import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

DEFAULT = "default"
# Jobs on this queue fetch and fit files: in embedded mode they get threads of their own.
MEDIA = "media"

JOB_TIMEOUT = 300
FAILURE_TTL = 7 * 24 * 3600
RESULT_TTL = 600

Runner = Callable[[str, tuple[Any, ...]], None]


def resolve(func_path: str) -> Callable[..., Any]:
    module, _, name = func_path.rpartition(".")
    if not module.startswith("jobs."):
        raise ValueError(f"only functions in jobs/ can be enqueued, not {func_path}")
    return getattr(importlib.import_module(module), name)


def run_job(func_path: str, args: tuple[Any, ...]) -> None:
    resolve(func_path)(*args)


class JobQueue(Protocol):
    def enqueue(self, func_path: str, *args: Any, queue: str = DEFAULT) -> None: ...

    def enqueue_each(self, func_path: str, arg_list: list[Any], queue: str = DEFAULT) -> None:
        """One job per argument, in one round trip where the backend allows."""
        ...

    def ping(self) -> bool: ...

    def waiting(self, func_path: str, arg: Any) -> bool:
        """Whether a job for this one argument is still waiting in the queue (not yet taken)."""
        ...


def job_key(func_path: str, arg: Any) -> str:
    """The id of a job with one argument, so a queue can say whether it still waits (rq allows
    letters, digits, - and _ in ids)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{func_path}-{arg}")


class RqJobQueue:
    """Jobs go to Redis and are worked by `rq worker` processes; arguments travel as JSON."""

    def __init__(self, redis_url: str) -> None:
        # Imported only when jobs go to Redis, so the embedded mode never loads redis or rq.
        from redis import Redis
        from rq import Queue
        from rq.serializers import JSONSerializer

        self.redis = Redis.from_url(redis_url)
        self._make = lambda name: Queue(name, connection=self.redis, serializer=JSONSerializer)
        self._queues: dict[str, Any] = {}

    def queue(self, name: str) -> Any:
        if name not in self._queues:
            self._queues[name] = self._make(name)
        return self._queues[name]

    def enqueue(self, func_path: str, *args: Any, queue: str = DEFAULT) -> None:
        resolve(func_path)  # fail here, not in a worker, on a typo
        self.queue(queue).enqueue(
            func_path,
            *args,
            job_timeout=JOB_TIMEOUT,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
        )

    def enqueue_each(self, func_path: str, arg_list: list[Any], queue: str = DEFAULT) -> None:
        from rq import Queue  # as in __init__: only when jobs go to Redis

        resolve(func_path)
        target = self.queue(queue)
        target.enqueue_many(
            [
                Queue.prepare_data(
                    func_path,
                    args=(arg,),
                    timeout=JOB_TIMEOUT,
                    result_ttl=RESULT_TTL,
                    failure_ttl=FAILURE_TTL,
                    job_id=job_key(func_path, arg),
                )
                for arg in arg_list
            ]
        )

    def ping(self) -> bool:
        return bool(self.redis.ping())

    def waiting(self, func_path: str, arg: Any) -> bool:
        status = self.redis.hget(f"rq:job:{job_key(func_path, arg)}", "status")
        return status == b"queued"


class _Pool:
    """Threads that take jobs from one in-process queue, started on the first job."""

    def __init__(self, name: str, threads: int, runner: Callable[[], Runner]) -> None:
        self.name = name
        self.size = max(1, threads)
        self._runner = runner
        self.items: stdqueue.Queue[tuple[str, tuple[Any, ...]] | None] = stdqueue.Queue()
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.waiting: Counter[str] = Counter()

    def put(self, item: tuple[str, tuple[Any, ...]]) -> None:
        with self._lock:
            self.threads = [t for t in self.threads if t.is_alive()]
            while len(self.threads) < self.size:
                thread = threading.Thread(
                    target=self._work,
                    name=f"portfolio-{self.name}-{len(self.threads)}",
                    daemon=True,
                )
                thread.start()
                self.threads.append(thread)
            if len(item[1]) == 1:
                self.waiting[job_key(item[0], item[1][0])] += 1
        self.items.put(item)

    def _work(self) -> None:
        while True:
            item = self.items.get()
            if item is None:
                self.items.task_done()
                return
            func_path, args = item
            if len(args) == 1:
                with self._lock:
                    self.waiting[job_key(func_path, args[0])] -= 1
            try:
                self._runner()(func_path, args)
            except Exception:  # the job records its own failure; the thread must live on
                log.exception("job %s failed", func_path)
            finally:
                self.items.task_done()

    def stop(self) -> None:
        for thread in self.threads:
            if thread.is_alive():
                self.items.put(None)
        for thread in self.threads:
            thread.join(timeout=5)


class ThreadJobQueue:
    """The embedded default: threads of the serving process run the same job functions.

    Chat events, outgoing messages and periodic jobs share `threads` threads; jobs on the media
    queue (a file fetched from LINE and fitted, seconds each) have threads of their own, so a
    slow download never holds up the next person's text. A user's events still run one at a
    time and in order: jobs.inbox takes the user's named lock (storage.db.lock_named).
    """

    def __init__(self, runner: Runner = run_job, threads: int = 1, media_threads: int = 1) -> None:
        self._runner = runner
        self._pools = {
            "main": _Pool("jobs", threads, lambda: self._runner),
            MEDIA: _Pool("media", media_threads, lambda: self._runner),
        }
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._periodic: set[str] = set()
        self._drains: list[Callable[[], None]] = []

    def enqueue(self, func_path: str, *args: Any, queue: str = DEFAULT) -> None:
        resolve(func_path)
        self._pools[MEDIA if queue == MEDIA else "main"].put((func_path, args))

    def enqueue_each(self, func_path: str, arg_list: list[Any], queue: str = DEFAULT) -> None:
        for arg in arg_list:
            self.enqueue(func_path, arg, queue=queue)

    def every(self, seconds: float, func_path: str) -> None:
        """Embedded mode only: enqueue a job at an interval (with Redis, rq cron does it)."""
        resolve(func_path)
        with self._lock:
            if func_path in self._periodic:
                return
            self._periodic.add(func_path)

        def loop() -> None:
            while not self._stopping.wait(seconds):
                self.enqueue(func_path)

        threading.Thread(target=loop, name=f"every-{func_path}", daemon=True).start()

    def also_wait_for(self, drain: Callable[[], None]) -> None:
        """join() waits for this too (the process's sending threads, jobs/delivery.py)."""
        self._drains.append(drain)

    def join(self) -> None:
        # A media job may enqueue delivery on the main pool: wait until both are quiet.
        for _ in range(100):
            for pool in self._pools.values():
                pool.items.join()
            for drain in self._drains:
                drain()
            if all(pool.items.unfinished_tasks == 0 for pool in self._pools.values()):
                return

    def stop(self) -> None:
        self._stopping.set()
        for pool in self._pools.values():
            pool.stop()

    def backlog(self) -> int:
        """Jobs taken but not finished, on the event threads (not media)."""
        return self._pools["main"].items.unfinished_tasks

    def ping(self) -> bool:
        return True

    def waiting(self, func_path: str, arg: Any) -> bool:
        key = job_key(func_path, arg)
        return any(pool.waiting[key] > 0 for pool in self._pools.values())


class LocalFirstQueue:
    """A web process with Redis: jobs on `local_queues` (the chat events) run on this process's
    own threads as soon as the webhook has stored them, without the hop through Redis to a
    worker; every other job, and any such job while `max_backlog` are already waiting here,
    goes to rq as before. A job lost with the process is still pending where it was stored,
    and the sweep hands it to a worker (jobs/inbox.py)."""

    def __init__(
        self,
        remote: RqJobQueue,
        local: ThreadJobQueue,
        local_queues: set[str],
        max_backlog: int,
    ) -> None:
        self.remote = remote
        self.local = local
        self.local_queues = local_queues
        self.max_backlog = max_backlog
        self.redis = remote.redis  # Services.after_fork resets it

    def _here(self, queue: str) -> bool:
        return queue in self.local_queues and self.local.backlog() < self.max_backlog

    def enqueue(self, func_path: str, *args: Any, queue: str = DEFAULT) -> None:
        if self._here(queue):
            self.local.enqueue(func_path, *args)
        else:
            self.remote.enqueue(func_path, *args, queue=queue)

    def enqueue_each(self, func_path: str, arg_list: list[Any], queue: str = DEFAULT) -> None:
        rest = list(arg_list)
        while rest and self._here(queue):
            self.local.enqueue(func_path, rest.pop(0))
        if rest:
            self.remote.enqueue_each(func_path, rest, queue=queue)

    def ping(self) -> bool:
        return self.remote.ping()

    def waiting(self, func_path: str, arg: Any) -> bool:
        return self.local.waiting(func_path, arg) or self.remote.waiting(func_path, arg)

    def join(self) -> None:
        self.local.join()

    def stop(self) -> None:
        self.local.stop()


class ManualJobQueue:
    """For tests: jobs wait until the test runs them, so every step is in the test's hands."""

    def __init__(self, runner: Runner = run_job) -> None:
        self._runner = runner
        self.pending: list[tuple[str, tuple[Any, ...], str]] = []
        self.ran: list[tuple[str, tuple[Any, ...]]] = []

    def enqueue(self, func_path: str, *args: Any, queue: str = DEFAULT) -> None:
        resolve(func_path)
        self.pending.append((func_path, args, queue))

    def enqueue_each(self, func_path: str, arg_list: list[Any], queue: str = DEFAULT) -> None:
        for arg in arg_list:
            self.enqueue(func_path, arg, queue=queue)

    def run_all(self, limit: int = 10_000) -> int:
        count = 0
        while self.pending and count < limit:
            func_path, args, _ = self.pending.pop(0)
            self._runner(func_path, args)
            self.ran.append((func_path, args))
            count += 1
        return count

    def clear(self) -> None:
        self.pending.clear()

    def ping(self) -> bool:
        return True

    def waiting(self, func_path: str, arg: Any) -> bool:
        return any(f == func_path and a == (arg,) for f, a, _ in self.pending)
