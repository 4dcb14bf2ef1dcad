# Street-office portal (街道办事处工作门户) — production image.
#
# One image serves every role; docker-compose.yml picks the command:
#   web     gunicorn portal.wsgi:application (the default CMD below)
#   worker  celery -A portal worker -l info
#   beat    celery -A portal beat -l info --scheduler django_celery_beat.schedulers:DatabaseScheduler
#   migrate python manage.py migrate --noinput
# See docs/operations.md.

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=portal.settings

# Every dependency ships as a wheel (psycopg2-binary bundles libpq), so the slim image needs
# no extra Debian packages: no compiler, no gettext, no curl.
RUN groupadd --system --gid 10001 portal \
 && useradd --system --uid 10001 --gid portal --create-home --home-dir /home/portal \
      --shell /usr/sbin/nologin portal

# Dependencies first, so that a code change does not reinstall them. The project declares
# `packages = []`: `pip install .` installs only the dependencies, never the app code.
COPY pyproject.toml README.md /tmp/build/
RUN pip install --no-cache-dir /tmp/build \
 && rm -rf /tmp/build

WORKDIR /app
COPY . /app

# Static files are collected into var/staticfiles at build time and served by whitenoise.
# The secret is a throwaway that exists only for this step; it is not kept in the image's
# environment, and the running containers get the real one from docker compose.
RUN SECRET_KEY=collectstatic-build-only DEBUG=0 python manage.py collectstatic --noinput \
 && mkdir -p /app/var/media /app/var/audit-archive \
 && chown -R portal:portal /app/var/media /app/var/audit-archive

# The code stays owned by root (read-only for the app); only var/media and var/audit-archive
# are writable.
USER portal

EXPOSE 8000

# No curl in the slim image: ask /healthz with urllib. The Host header is the first entry of
# ALLOWED_HOSTS and X-Forwarded-Proto says https, so neither host validation nor
# SECURE_SSL_REDIRECT turns the probe into a 400 or a redirect. Non-200 (503) fails.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os,urllib.request as u; h=(os.environ.get('ALLOWED_HOSTS','').split(',')[0].strip().lstrip('.') or 'localhost').replace('*','localhost'); u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=8)"]

CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
