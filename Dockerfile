# LAPOR Daerah production image: gunicorn for the web, the same image for the Celery worker and
# beat (see docker-compose.yml). Configuration comes from the environment at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/staticfiles

RUN groupadd --system lapor \
    && useradd --system --gid lapor --home-dir /app --no-create-home --shell /usr/sbin/nologin lapor

WORKDIR /app
# requirements.txt alone: scripts/runtime-check.sh (a CI step) runs the same install, then
# migrate, collectstatic, gunicorn and `celery worker -B` until /healthz answers 200.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The code stays owned by root (read-only for the app); only the data folders (media, the beat
# schedule: volumes in docker-compose.yml take their owner from here) and the static files are
# the app's.
COPY . .
RUN mkdir -p /data/media /data/beat /app/staticfiles \
    && chown -R lapor:lapor /data /app/staticfiles
# The translations are compiled in the build (GNU gettext only for this step).
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && DATA_DIR=/app/.i18n-build SECRET_KEY=compilemessages-only-not-a-secret python manage.py compilemessages -v 0 \
    && rm -rf /app/.i18n-build \
    && apt-get purge -y gettext && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
USER lapor

# The key only lets settings load for collectstatic; it is not in the image's environment.
RUN SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput -v 0

EXPOSE 8000
CMD ["gunicorn", "lapor.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
