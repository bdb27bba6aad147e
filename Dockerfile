# transync: one image for web, worker, beat and migrate (see docker-compose.yml).
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 transync
WORKDIR /app
COPY pyproject.toml README.md ./
COPY sync ./sync
COPY workers ./workers
COPY locales ./locales
RUN pip install --upgrade pip && pip install .
RUN mkdir -p /srv/content /srv/locales && chown -R transync:transync /srv
USER transync
WORKDIR /srv
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["transync", "serve", "--host", "0.0.0.0", "--port", "8000"]
