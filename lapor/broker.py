"""kombu's filesystem transport (the zero-service broker), made safe against a crash.

kombu writes a message straight into its final `*.msg` file. A process killed while publishing
(a worker sweeping, a web process answering) leaves an empty or partial file there, and every
worker that later reads it dies with "Unrecoverable error: JSONDecodeError" — the task system stays
down until someone deletes the file. Here a message is written under a name the reader ignores
and renamed into place (atomic on POSIX), and a reader drops a file it cannot decode
instead of dying. The outbox's `flush_outbox` re-sends whatever such a message carried.
"""

import logging
import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

log = logging.getLogger("lapor.broker")


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A leading dot: `_get` takes only "<stamp>_<uuid>.<queue>.msg" names.
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            # No fsync: a killed process loses nothing written (the page cache survives it), and
            # after a power cut the outbox's retry re-sends what a lost message carried.
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        while True:
            try:
                return super()._get(queue)
            except ValueError:  # a partial message from an older writer: already moved away by super()
                log.error("dropped an unreadable message from queue %s", queue)


class Transport(filesystem.Transport):
    Channel = Channel
