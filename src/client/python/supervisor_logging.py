"""Send a Python program's logging records to a pipeline-supervisor daemon, as a pushed (external) run.

Standard library only: copy this file next to your runner. The handler registers a run on the daemon
(or attaches to ``run_id``), buffers records and sends them in batches every ``flush_every`` records or
``flush_interval`` seconds from a background thread, in order, numbered with ``client_seq`` so a resent
batch is never stored twice. Network errors, 5xx and 429 are retried with backoff, resending the same
bytes; a refused batch (4xx) is reported on stderr and dropped. If the daemon stays away, at most
``max_buffered`` records wait; older ones are dropped and a WARNING entry says how many.

    import logging, os
    from supervisor_logging import SupervisorHandler

    handler = SupervisorHandler("http://127.0.0.1:7411", api_key=os.environ["SCRAPER_01_KEY"], name="nightly-scrape")
    logging.basicConfig(level=logging.INFO, handlers=[logging.StreamHandler(), handler])
    logging.info("layer start", extra={"event": "layer_start", "layer": 1, "layer_name": "fetch"})
    logging.warning("No SKUs on page %d", 3)
    handler.finish("succeeded", exit_code=0)  # or let logging.shutdown() at exit close it

``extra`` fields travel with the entry (``event``/``layer`` move the run's layers). At close, a run this
handler registered and nobody finished ends ``failed`` if a CRITICAL record or a failed
``pipeline_complete`` was logged, else ``succeeded``.
"""

import json
import logging
import random
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from datetime import datetime, timezone

__all__ = ["SupervisorHandler"]

# Attributes every LogRecord has: anything else on a record came from `extra` and is sent along.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_MAX_BATCH_ENTRIES = 500
_MAX_BATCH_BYTES = 900 * 1024  # the daemon takes 1 MiB bodies
_MAX_MESSAGE_CHARS = 100_000  # even escaped (6 bytes a character) one entry stays within a batch
_FAILED_PIPELINE = {"error", "failed", "failure"}


class _Refused(Exception):
    """The daemon answered with a status that retrying will not change."""

    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status


class SupervisorHandler(logging.Handler):
    """A logging.Handler that pushes records to the daemon's run (see the module docstring)."""

    def __init__(self, url, api_key, name=None, run_id=None, args=None, flush_every=50, flush_interval=1.0,
                 max_buffered=100_000, timeout=10.0, retry_max=30.0, flush_timeout=10.0, level=logging.NOTSET):
        super().__init__(level)
        if not name and not run_id:
            raise ValueError("SupervisorHandler: give name (to register a run) or run_id (to attach to one)")
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.name = name
        self.run_id = run_id
        self.args = list(args or [])
        self.flush_every = max(1, int(flush_every))
        self.flush_interval = float(flush_interval)
        self.max_buffered = max(1, int(max_buffered))
        self.timeout = float(timeout)  # per request
        self.flush_timeout = float(flush_timeout)  # how long flush(), finish() and close() wait at most
        self.retry_max = float(retry_max)
        self.sent = 0  # entries the daemon took
        self.dropped = 0  # entries lost: refused, or pushed out of a full buffer
        self.retries = 0  # requests sent again after a network error, 5xx or 429
        self._registered_here = run_id is None
        self._finished = False
        self._failed_seen = False
        self._seq = 0
        self._pending = deque()  # entries not yet taken by the sender, oldest first
        self._in_flight = 0
        self._dropped_unsaid = 0
        self._last_dropped_seq = 0
        self._stopping = False
        self._gone = False  # the run is gone or refused us: stop sending
        self._cond = threading.Condition()
        self._idempotency_key = str(uuid.uuid4())
        self._thread = threading.Thread(target=self._send_loop, name="supervisor-log-sender", daemon=True)
        self._thread.start()

    # -- logging.Handler ------------------------------------------------------------------------

    def emit(self, record):
        try:
            entry = self._entry(record)
        except Exception:
            self.handleError(record)
            return
        with self._cond:
            if self._finished or self._gone:
                return
            self._seq += 1
            entry["client_seq"] = self._seq
            self._pending.append(entry)
            while len(self._pending) > self.max_buffered:
                self._last_dropped_seq = self._pending.popleft()["client_seq"]
                self.dropped += 1
                self._dropped_unsaid += 1
            if len(self._pending) >= self.flush_every:
                self._cond.notify_all()

    def flush(self, timeout=None):
        """Wait until every record logged so far was sent (or refused), at most `timeout` seconds (default
        flush_timeout: logging.shutdown() calls this at exit, which must not hang on an absent daemon);
        False if time ran out first (the records stay queued and are still sent later)."""
        deadline = time.monotonic() + (self.flush_timeout if timeout is None else timeout)
        with self._cond:
            self._cond.notify_all()
            while (self._pending or self._in_flight) and not self._gone:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.5))
        return True

    def finish(self, status="succeeded", exit_code=None, timeout=None):
        """Send what is buffered, then end the run, all within `timeout` seconds (default flush_timeout);
        returns the run as the daemon answered (a dict). Raises if the daemon could not be told in time."""
        deadline = time.monotonic() + (self.flush_timeout if timeout is None else timeout)
        self.flush(max(0.0, deadline - time.monotonic()))
        with self._cond:
            if self._finished:
                return None
            self._finished = True
        run_id = self._ensure_run(deadline)
        body = {"status": status}
        if exit_code is not None:
            body["exit_code"] = exit_code
        return self._post_with_retry(f"/api/runs/{run_id}/finish", json.dumps(body).encode(), deadline=deadline)

    def close(self):
        """Flush and finish a run this handler registered if nobody did, within flush_timeout; stop the sender."""
        deadline = time.monotonic() + self.flush_timeout
        try:
            self.flush(self.flush_timeout)
            if self._registered_here and not self._finished and not self._gone and self.run_id is not None:
                self.finish("failed" if self._failed_seen else "succeeded", timeout=max(0.1, deadline - time.monotonic()))
        except Exception as error:  # never raise out of logging.shutdown()
            _report(f"could not finish run {self.run_id}: {error}")
        finally:
            with self._cond:
                self._stopping = True
                unsent = len(self._pending) + self._in_flight
                self._cond.notify_all()
            if unsent and not self._gone:
                _report(f"{unsent} log entries were not delivered: the daemon at {self.url} did not answer in time")
            self._thread.join(max(0.1, deadline - time.monotonic()))
            super().close()

    # -- entries -------------------------------------------------------------------------------

    def _entry(self, record):
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            message = f"{message}\n{record.exc_text}"
        if record.stack_info:
            message = f"{message}\n{record.stack_info}"
        if len(message) > _MAX_MESSAGE_CHARS:
            message = f"{message[:_MAX_MESSAGE_CHARS]}… [{len(message) - _MAX_MESSAGE_CHARS} characters cut]"
        entry = {
            "level": _level_name(record.levelno),
            "message": message,
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "logger": record.name,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = _jsonable(value)
        if record.levelno >= logging.CRITICAL:
            self._failed_seen = True
        if entry.get("event") == "pipeline_complete" and str(entry.get("status", "")).lower() in _FAILED_PIPELINE:
            self._failed_seen = True
        return entry

    # -- sending -------------------------------------------------------------------------------

    def _send_loop(self):
        while True:
            with self._cond:
                # Woken at flush_every entries, by flush() or close(); else what waits goes after flush_interval.
                while not self._pending and not self._stopping:
                    self._cond.wait(self.flush_interval)
                if not self._pending and self._stopping:
                    return
                batch = self._take_batch()
                self._in_flight = len(batch)
            try:
                self._send(batch)
                self.sent += len(batch)
            except _Refused as error:
                _report(f"the daemon refused a batch of {len(batch)} entries ({error}); dropped")
                self.dropped += len(batch)
                if error.status in (401, 403, 404, 409):
                    with self._cond:
                        self._gone = True
                        self.dropped += len(self._pending)
                        self._pending.clear()
            except Exception as error:  # bug or interpreter shutdown: say so, never kill the program
                _report(f"sending logs failed: {error}")
                self.dropped += len(batch)
            finally:
                with self._cond:
                    self._in_flight = 0
                    self._cond.notify_all()

    def _take_batch(self):
        """The next batch as JSON texts (ASCII, so their length is their size), each entry serialized once."""
        batch = []
        size = 0
        if self._dropped_unsaid:
            # The notice takes the number of the last dropped entry: after all that was sent, before all that waits.
            batch.append(json.dumps({"level": "warning", "client_seq": self._last_dropped_seq,
                                     "message": f"{self._dropped_unsaid} log entries were dropped: the daemon was unreachable and the buffer full"}))
            self._dropped_unsaid = 0
        while self._pending and len(batch) < _MAX_BATCH_ENTRIES:
            text = json.dumps(self._pending[0])
            if batch and size + len(text) > _MAX_BATCH_BYTES:
                break
            self._pending.popleft()
            batch.append(text)
            size += len(text) + 1
        return batch

    def _send(self, batch):
        run_id = self._ensure_run()
        self._post_with_retry(f"/api/runs/{run_id}/logs", ('{"logs":[' + ",".join(batch) + "]}").encode())

    def _ensure_run(self, deadline=None):
        if self.run_id is None:
            body = json.dumps({"external": True, "name": self.name, "args": self.args}).encode()
            run = self._post_with_retry("/api/runs", body, headers={"Idempotency-Key": self._idempotency_key}, deadline=deadline)
            self.run_id = run["run_id"]
        return self.run_id

    def _post_with_retry(self, path, body, headers=None, deadline=None):
        attempt = 0
        while True:
            attempt += 1
            try:
                left = None if deadline is None else deadline - time.monotonic()
                return self._post(path, body, headers, timeout=self.timeout if left is None else max(0.1, min(self.timeout, left)))
            except _Refused:
                raise
            except Exception as error:  # network error, timeout, 5xx, 429: the same bytes again, later
                delay = min(self.retry_max, 0.2 * 2 ** min(attempt - 1, 10)) * (0.5 + random.random() / 2)
                if self._stopping and attempt >= 3:
                    raise
                if deadline is not None and time.monotonic() + delay > deadline:
                    raise
                if attempt == 3:
                    _report(f"the daemon at {self.url} is not answering ({error}); retrying")
                self.retries += 1
                time.sleep(delay)

    def _post(self, path, body, headers=None, timeout=None):
        request = urllib.request.Request(self.url + path, data=body, method="POST", headers={
            "content-type": "application/json", "x-api-key": self.api_key, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", "replace")
            if error.code >= 500 or error.code == 429:
                raise ConnectionError(f"HTTP {error.code}: {text[:200]}") from None
            raise _Refused(error.code, text) from None


def _level_name(levelno):
    """The daemon's level for a logging level number (custom levels fall into the band below them)."""
    for floor, name in ((logging.CRITICAL, "critical"), (logging.ERROR, "error"), (logging.WARNING, "warning"), (logging.INFO, "info")):
        if levelno >= floor:
            return name
    return "debug"


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def _report(text):
    try:
        sys.stderr.write(f"pipeline-supervisor: {text}\n")
    except Exception:
        pass
