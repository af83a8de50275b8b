"""A real streaming replica under a running gunicorn (docs/architecture.md, "Read replicas").

A PostgreSQL primary of our own, migrated and seeded; a replica made from it with
`pg_basebackup -R -X stream` on another port; a gunicorn with DATABASE_URL on the primary and
DATABASE_REPLICA_URLS on the replica. Both servers log every statement, which is how the drill
sees who answered a page:

- a public page (Open311's service list: the categories) is read on the replica, not the primary;
- with the replica's replay paused, a category added on the primary is on the next page at once:
  the replica is behind, so the primary answers;
- replay resumed, the replica answers again, with the new category;
- the replica crashes (`pg_ctl stop -m immediate`): the same gunicorn keeps answering 200 from
  the primary, and a category added now is on the next page;
- the replica, started again, is promoted (`pg_promote()`): a primary of its own, holding
  everything the old primary had, so its generation looks caught up; a fresh gunicorn does not
  read it (`pg_is_in_recovery()` is false) and says so once.

Its own clusters, not the test database: a base backup of the shared server would copy every
database on it, and that server need not accept replication connections. Needs root (to run
`initdb`, `pg_basebackup` and `pg_ctl` as the postgres OS user) and the PostgreSQL server binaries;
skipped without them, and when the tests do not run on PostgreSQL — except in CI on PostgreSQL,
where a missing piece fails the drill instead."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

from tests import processes
from tests.test_database_drill import BIN, SETUP, Cluster, _skip_reason, drill_env, free_port, http

pytestmark = pytest.mark.slow

CATEGORY_READ = 'FROM "agencies_category"'


def _missing():
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return "read replicas are PostgreSQL's: the tests run on SQLite"
    reason = _skip_reason()
    if reason is None and not (Path(BIN[-1]).parent / "pg_basebackup").exists():
        reason = "pg_basebackup is not installed"
    return reason


class Server(Cluster):
    """A cluster in a folder of its own (its data, socket and log), run by the postgres OS user."""

    def __init__(self, root):
        root.mkdir(mode=0o755)
        shutil.chown(root, "postgres")
        super().__init__(root)
        self.log = root / "pg.log"

    def sql(self, statement, dbname="drill"):
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(statement)
                return cursor.fetchone()[0] if cursor.description else None
        finally:
            conn.close()

    def category_reads(self):
        """Statements that read the categories, as the server logged them."""
        return sum(1 for line in self.log.read_text(errors="replace").splitlines() if CATEGORY_READ in line)

    def replica_of(self, primary):
        self._as_postgres(
            self.bin / "pg_basebackup",
            *("-h", "127.0.0.1", "-p", primary.port, "-U", "postgres"),
            *("-D", self.data, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"),
        )


@pytest.fixture
def drill_root():
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI") and settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
            pytest.fail(f"the replica drill must run in CI on PostgreSQL: {reason}")
        pytest.skip(reason)
    # Not pytest's tmp_path: the postgres OS user must be able to enter it.
    root = Path(tempfile.mkdtemp(prefix="lapor-replica-drill-"))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


ADD_CATEGORY = """
from agencies.models import Agency, Category
Category.objects.create(slug="{slug}", name="{slug}", default_agency=Agency.objects.get(slug="dinas-pu"))
"""


def test_pages_read_from_a_streaming_replica_and_keep_answering_when_it_dies(drill_root):
    primary = Server(drill_root / "primary")
    replica = Server(drill_root / "replica")
    started = []
    gunicorn = None
    try:
        primary.init()
        primary.start()
        started.append(primary)
        primary.sql("CREATE DATABASE drill", dbname="postgres")
        app_data = drill_root / "app"
        app_data.mkdir()
        env = drill_env(primary.url("drill"), app_data)
        cwd = str(settings.BASE_DIR)

        def manage(*args):
            return subprocess.run(  # noqa: S603
                [sys.executable, "manage.py", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=300
            )

        manage("migrate", "-v0")
        manage("shell", "-c", SETUP)
        # Every statement logged from here on, on the replica too (the setting travels in the backup).
        primary.sql("ALTER SYSTEM SET log_statement = 'all'")
        primary.sql("SELECT pg_reload_conf()")
        replica.replica_of(primary)
        replica.start()
        started.append(replica)

        def caught_up():
            # What the router asks: has the replica replayed the primary's publication generation?
            generation = "SELECT generation FROM complaints_publication"
            return replica.sql(generation) == primary.sql(generation)

        processes.wait_for(caught_up, 30, "the replica to catch up", poll=0.2)

        port = free_port()
        env["DATABASE_REPLICA_URLS"] = replica.url("drill")
        env["PAGE_CACHE_HEADER"] = "1"  # to see that each page below is rendered, not a cached copy
        base = f"http://127.0.0.1:{port}"

        def serve(log_name):
            web_log = drill_root / log_name
            process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "gunicorn", "lapor.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "1"],
                cwd=cwd,
                env=env,
                stdout=web_log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            processes.wait_for(lambda: _answers(base + "/"), 60, "gunicorn to start", poll=0.2)
            return process, web_log

        gunicorn, web_log = serve("gunicorn.log")
        pages = iter(range(1, 100))

        def services():
            """Open311's service list, each time at a new address (so never a cached copy), and
            the categories each server read meanwhile."""
            before = (primary.category_reads(), replica.category_reads())
            status, headers, body = http("GET", f"{base}/open311/v2/services.json?page={next(pages)}")
            assert status == 200 and headers["X-Page-Cache"] == "miss", body
            reads = (primary.category_reads() - before[0], replica.category_reads() - before[1])
            return body, reads

        # The replica answers -------------------------------------------------------------------------
        body, reads = services()
        assert '"jalan"' in body
        assert reads == (0, 1), f"(primary, replica) reads of the categories: {reads}"

        # The replica behind: the primary answers, with the write just made ---------------------------
        replica.sql("SELECT pg_wal_replay_pause()::text")
        manage("shell", "-c", ADD_CATEGORY.format(slug="drainase"))
        body, reads = services()
        assert '"drainase"' in body and reads == (1, 0), reads
        replica.sql("SELECT pg_wal_replay_resume()::text")
        processes.wait_for(caught_up, 30, "the replica to replay the new category", poll=0.2)
        body, reads = services()
        assert '"drainase"' in body and reads == (0, 1), reads

        # The replica dies: the primary answers every page --------------------------------------------
        replica.stop()
        started.remove(replica)
        body, reads = services()
        assert '"drainase"' in body and reads[0] == 1
        for page in ("/", "/laporan/", "/statistik/", "/peta/data.json"):
            assert http("GET", base + page)[0] == 200, page
        manage("shell", "-c", ADD_CATEGORY.format(slug="sampah"))
        body, reads = services()
        assert '"sampah"' in body and reads[0] == 1

        assert gunicorn.poll() is None, "gunicorn died"
        lines = [line for line in web_log.read_text().splitlines() if "read replica replica_1 unavailable" in line]
        assert len(lines) == 1, web_log.read_text()[-3000:]

        # The replica promoted: not ours any more, though its generation looks caught up ------------
        gunicorn.terminate()
        gunicorn.wait(20)
        replica.start()
        started.append(replica)
        processes.wait_for(caught_up, 30, "the restarted replica to catch up", poll=0.2)
        replica.sql("SELECT pg_promote()::text")
        processes.wait_for(lambda: replica.sql("SELECT pg_is_in_recovery()") is False, 30, "the promotion", poll=0.2)
        assert caught_up()
        gunicorn, web_log = serve("gunicorn-promoted.log")  # a process that never paused the replica
        body, reads = services()
        assert '"sampah"' in body and reads == (1, 0), reads
        body, reads = services()
        assert reads == (1, 0), reads
        lines = [line for line in web_log.read_text().splitlines() if "read replica replica_1" in line]
        assert len(lines) == 1 and "is not in recovery" in lines[0], web_log.read_text()[-3000:]
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            gunicorn.terminate()
            try:
                gunicorn.wait(20)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        for server in reversed(started):
            try:
                server.stop()
            except subprocess.CalledProcessError:
                pass  # already stopped


def _answers(url):
    try:
        return http("GET", url)[0] == 200
    except OSError:
        return False
