"""Redis as an accelerator: a cache that answers "miss" quickly when Redis is down or hung.

django-redis with `IGNORE_EXCEPTIONS` already turns a failed cache call into a miss (`get` gives
the default, `add`/`set`/`incr` give None). What it cannot bound is the time: with Redis hung
(the process stopped, the host unreachable) every call waits for its socket timeout, and a page
makes a dozen calls. The connections here keep one process-wide note of the last failure: for
`REDIS_RETRY_AFTER` seconds after a connection error or timeout, every command fails at once
without touching the network, so a request pays at most one timeout per process and pause. After
the pause the next command tries the server again; when Redis is back everything works as before.

Settings (lapor/settings.py) point django-redis at `ConnectionPool` (`CONNECTION_POOL_CLASS`).
"""

import logging

from redis import connection as redis_connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .pause import Pause

log = logging.getLogger("lapor.cache")

# Seconds the cache is left alone after a failure.
REDIS_RETRY_AFTER = 5.0
_pause = Pause()


def unavailable():
    """Whether a recent failure put the cache on pause (nothing is sent to Redis meanwhile)."""
    return _pause.active()


def reset():
    """Forget a past failure (tests; the pause also ends by itself)."""
    _pause.reset()


def _trip(error):
    if _pause.start(REDIS_RETRY_AFTER):
        log.warning("Redis cache unavailable (%s); cache calls are misses for %.0f s", error, REDIS_RETRY_AFTER)


class _FailFast:
    """Mixed into a redis-py connection class: fails at once while the cache is on pause, and
    puts it on pause when a connect, write or read fails or times out (see the module)."""

    def _guard(self):
        if unavailable():
            self.disconnect()
            raise RedisConnectionError("Redis cache paused after a recent failure")

    def connect(self):
        self._guard()
        try:
            return super().connect()
        except (RedisConnectionError, RedisTimeoutError) as exc:
            _trip(exc)
            raise

    def send_packed_command(self, command, check_health=True):
        self._guard()
        try:
            return super().send_packed_command(command, check_health=check_health)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            _trip(exc)
            raise

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            _trip(exc)
            raise


class Connection(_FailFast, redis_connection.Connection):
    pass


class SSLConnection(_FailFast, redis_connection.SSLConnection):
    pass


class UnixDomainSocketConnection(_FailFast, redis_connection.UnixDomainSocketConnection):
    pass


_FAIL_FAST = {
    redis_connection.Connection: Connection,
    redis_connection.SSLConnection: SSLConnection,
    redis_connection.UnixDomainSocketConnection: UnixDomainSocketConnection,
}


class ConnectionPool(redis_connection.ConnectionPool):
    """The pool django-redis uses (`CONNECTION_POOL_CLASS`): the connection class the URL asks for
    (redis://, rediss://, unix://), with the fail-fast behaviour mixed in."""

    def __init__(self, connection_class=redis_connection.Connection, **kwargs):
        super().__init__(connection_class=_FAIL_FAST.get(connection_class, connection_class), **kwargs)
