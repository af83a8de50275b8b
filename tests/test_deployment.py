"""The deployment files (docs/product.md §8 "Deployment", §9): docker-compose.yml is a valid Compose file
describing web, a worker per queue, one beat, PostgreSQL and Redis with HTTPS on; every environment variable
settings.py reads is documented in the README; CI runs the tests."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
QUEUES = ("deadlines", "notifications", "reports")
WORKERS = tuple(f"worker-{queue}" for queue in QUEUES)
APP_SERVICES = ("web", *WORKERS, "beat")
# Read by gunicorn itself, not by settings.py.
NOT_SETTINGS = {"WEB_CONCURRENCY"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text())


def settings_env_vars():
    """Every NAME in env("NAME"…), env_bool("NAME"…), env_int("NAME"…), env_list("NAME"…)."""
    source = (ROOT / "lapor" / "settings.py").read_text()
    return sorted(set(re.findall(r"\benv(?:_bool|_int|_list)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source)))


def environment(service):
    env = service.get("environment", {})
    if isinstance(env, list):  # the "NAME=value" form
        env = dict(item.split("=", 1) for item in env)
    return env


def test_compose_file_matches_the_compose_spec():
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(  # noqa: S603 - our own tool on our own file
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_has_every_service_with_health_checks(compose):
    services = compose["services"]
    assert {"web", *WORKERS, "beat", "db", "redis"} <= set(services)
    for name in ("web", "db", "redis"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "gunicorn lapor.wsgi:application" in " ".join(services["web"]["command"])


def test_compose_runs_one_worker_per_queue_and_exactly_one_beat(compose):
    from django.conf import settings

    services = compose["services"]
    assert list(settings.TASKS_BY_QUEUE) == list(QUEUES)
    workers = {name: s["command"] for name, s in services.items() if "celery -A lapor worker" in str(s.get("command"))}
    assert sorted(workers) == sorted(WORKERS), "one worker service per queue, and no other"
    for queue in QUEUES:
        command = workers[f"worker-{queue}"].split()
        assert command[command.index("-Q") + 1] == queue, command
        assert "-B" not in command and "--beat" not in command, "beat runs only in the beat service"
    beats = [name for name, s in services.items() if "celery -A lapor beat" in str(s.get("command"))]
    assert beats == ["beat"]
    assert "deploy" not in services["beat"] and "scale" not in services["beat"], "beat must stay one"


def test_every_depends_on_names_a_defined_service(compose):
    services = compose["services"]
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        for target in depends_on:
            assert target in services, f"{name} depends on undefined service {target}"
            assert target != name
        if isinstance(depends_on, dict):
            for target, condition in depends_on.items():
                if "healthcheck" in services[target]:
                    assert condition["condition"] == "service_healthy", (name, target)
    for name in APP_SERVICES:
        assert "redis" in services[name]["depends_on"], name
    for name in ("web", *WORKERS):
        assert "db" in services[name]["depends_on"], name


def test_app_services_share_the_configuration_and_media(compose):
    services = compose["services"]
    envs = [environment(services[name]) for name in APP_SERVICES]
    for env in envs:
        assert env["SECURE_HTTPS"] in ("true", True)
        assert str(env.get("DEBUG", "false")).lower() == "false"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), "SECRET_KEY must be required"
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert env["MEDIA_ROOT"] == envs[0]["MEDIA_ROOT"]
    media_root = envs[0]["MEDIA_ROOT"]
    for name in ("web", *WORKERS):
        targets = [volume.split(":")[1] for volume in services[name].get("volumes", [])]
        assert media_root in targets, f"{name} does not mount the shared media volume"
    beat_volumes = [volume.split(":") for volume in services["beat"].get("volumes", [])]
    assert any(target in services["beat"]["command"] for _, target in beat_volumes), "beat schedule not on a volume"


def test_compose_sets_only_variables_the_portal_reads(compose):
    known = set(settings_env_vars()) | NOT_SETTINGS
    for name in APP_SERVICES:
        unknown = set(environment(compose["services"][name])) - known
        assert not unknown, f"{name} sets variables settings.py never reads: {sorted(unknown)}"


def test_every_environment_variable_is_documented_in_the_readme():
    names = settings_env_vars()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SECURE_HTTPS", "SMS_WEBHOOK_SECRET"} <= set(names)
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in names if f"`{name}`" not in readme]
    assert not missing, f"not documented in README.md: {missing}"


def test_ci_script_runs_lint_and_tests():
    script = ROOT / ".ci" / "run"
    assert script.stat().st_mode & 0o111, ".ci/run is not executable"
    lines = [line.strip() for line in script.read_text().splitlines() if not line.strip().startswith("#")]
    assert "set -euo pipefail" in lines
    assert any(re.match(r"make test(\s|$)", line) for line in lines), ".ci/run does not run make test"
    assert any(re.match(r"make lint(\s|$)", line) for line in lines), ".ci/run does not run make lint"


def test_readme_starts_with_the_two_commands_then_the_sections_the_issue_asks_for():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", readme, re.S)
    assert first_block and readme.index("```sh") < readme.index("\n## "), "the commands come before any section"
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    headings = re.findall(r"^## (.+)$", readme, re.M)
    order = [
        next(i for i, h in enumerate(headings) if h.startswith(prefix))
        for prefix in ("Architecture", "Glossary", "Environment variables", "Production with docker-compose")
    ]
    assert order == sorted(order), headings
    glossary = readme.split("## Glossary", 1)[1].split("\n## ", 1)[0]
    for term in (
        "pelapor",
        "aduan",
        "aspirasi",
        "OPD",
        "admin penghubung",
        "disposisi",
        "tunda",
        "arsip",
        "bukan kewenangan",
        "berkadar pengawasan",
        "terlapor",
        "TPP",
        "cuti bersama",
        "umum / anonim / rahasia",
    ):
        assert term in glossary, term
    production = readme.split("## Production with docker-compose", 1)[1].split("\n## ", 1)[0]
    for word in ("gunicorn", "worker", "beat", "PostgreSQL", "Redis", "/healthz", "volume"):
        assert word in production, word


def test_ci_checks_a_runtime_only_install():
    """requirements.txt alone must run web, worker and beat: CI builds that install with
    scripts/runtime-check.sh, and the Dockerfile installs nothing else."""
    script = ROOT / "scripts" / "runtime-check.sh"
    assert script.stat().st_mode & 0o111, "scripts/runtime-check.sh is not executable"
    text = script.read_text()
    for needle in ("-r requirements.txt", 'gunicorn" lapor.wsgi:application', 'celery" -A lapor worker -B', "/healthz"):
        assert needle in text, needle
    assert "requirements-dev" not in text
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines() if not line.strip().startswith("#")]
    assert any(re.search(r"scripts/runtime-check\.sh.*\|\| status=\$\?", line) for line in ci), "not a CI step"
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"pip install ([^\n]+)", dockerfile)
    assert installs == ["-r requirements.txt"], installs
    pins = {
        line.split("==")[0].lower()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    # kombu's Redis transport imports packaging without declaring it; the cache is django-redis.
    assert {"packaging", "django-redis", "celery", "kombu", "redis", "gunicorn"} <= pins
