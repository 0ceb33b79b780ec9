# syntax=docker/dockerfile:1
# Innkeeper's image: slim, runs as an unprivileged user, `innkeeper serve` as its entrypoint.
#   docker build -t innkeeper .
#   docker run --rm -p 8000:8000 innkeeper --demo          # the embedded demo (SQLite in the container)
# Production runs it with PostgreSQL and Redis: see compose.yaml and the README's "Running in production".

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# every dependency ships a manylinux wheel: no compiler in either stage
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/innkeeper && /opt/innkeeper/bin/pip install .

FROM python:3.11-slim-bookworm
ENV PATH=/opt/innkeeper/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    INNKEEPER_HOST=0.0.0.0 \
    INNKEEPER_PORT=8000
# a numeric user, so that orchestrators can check "not root" (Kubernetes' runAsNonRoot) without /etc/passwd
RUN groupadd --system --gid 10001 innkeeper \
 && useradd --system --uid 10001 --gid innkeeper --home-dir /app --shell /usr/sbin/nologin innkeeper \
 && mkdir -p /app/var/media \
 && chown -R innkeeper:innkeeper /app
COPY --from=build /opt/innkeeper /opt/innkeeper
# the working directory holds var/: the SQLite file of the embedded mode, local media, metrics files
WORKDIR /app
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["innkeeper", "serve"]
