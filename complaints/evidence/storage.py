"""Media storage that never leaves a partial file under a real name."""

import os
import tempfile

from django.core.files.storage import FileSystemStorage
from django.utils._os import safe_makedirs


class AtomicFileSystemStorage(FileSystemStorage):
    """Django's file system storage writes straight into the final name: when the disk fills up
    halfway, a truncated file stays there. This one writes to a temporary file in the same
    folder, flushes it to disk, and only then links it under its name (never replacing a file
    that exists); on any failure the temporary file is removed, so a name either holds a
    complete file or does not exist. Used for every media file (attachments, monthly reports)."""

    def _save(self, name, content):
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        if self.directory_permissions_mode is not None:
            safe_makedirs(directory, self.directory_permissions_mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in content.chunks():
                    f.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, self.file_permissions_mode if self.file_permissions_mode is not None else 0o640)
            while True:
                try:
                    os.link(tmp, full_path)  # fails instead of replacing an existing file
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
        finally:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        name = os.path.relpath(full_path, self.location)
        self._ensure_location_group_id(full_path)
        return str(name).replace("\\", "/")
