# Production image: gunicorn (web), Daphne (ws), `manage.py watch`, Celery worker and beat all
# run from it (docker-compose.yml, deploy/kubernetes/). Two stages: the builder installs the
# pinned dependencies into a virtualenv and compiles the routing engine with mypyc; the final
# stage gets that virtualenv and the source with the compiled engine, and no compiler, mypy,
# pip cache or build context beyond them.
#
# Base image: pinned by version tag and by the digest of its multi-architecture index (the
# same digest for amd64 and arm64 hosts; Docker picks the platform's image from it). Where this
# file was written there is no registry access, so the digest was not read from Docker Hub here:
# it is the one that independent public projects pin for this exact tag. Check it, and later
# move both together, with
#   docker buildx imagetools inspect python:3.11.14-slim-bookworm   # top-level "Digest:"
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml ./
COPY dashboard ./dashboard
COPY routing ./routing
# Every dependency ships a wheel for this platform, so no compiler is needed. The project
# itself is uninstalled again: it runs from /app (below), where dashboard/settings.py finds the
# top-level templates/ beside the code.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install . \
    && /opt/venv/bin/pip uninstall --yes trafficlens
# The engine compiled to C (tools/compile_engine.py, as `make engine` does): gcc for it; mypy and
# the PyYAML stubs it checks the loader with (pinned as in pyproject.toml's dev extra) in a
# directory of their own that the final stage does not get. compile_engine.py removes whatever
# the context holds compiled and fails when the compile does. Debian's gcc is not pinned by
# version: the base image's digest fixes the release.
COPY tools/compile_engine.py ./tools/
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/* \
    && /opt/venv/bin/pip install --target /opt/build-tools \
        mypy==2.4.1 types-PyYAML==6.0.12.20261113 setuptools==80.9.0 \
    && PYTHONPATH=/opt/build-tools /opt/venv/bin/python tools/compile_engine.py

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    # The app runs on a read-only root filesystem; /tmp is its only writable directory.
    HOME=/tmp \
    TMPDIR=/tmp \
    # One synchronous worker process per core serves the API fastest (docs/benchmarks.md).
    WEB_CONCURRENCY=2
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY manage.py ./
COPY dashboard ./dashboard
COPY --from=builder /src/routing ./routing
COPY templates ./templates
# collectstatic reads settings, which refuse to start without a SECRET_KEY when DEBUG is off;
# this throwaway key exists only for this build step. Files stay root-owned: the app only reads.
# TRAFFICLENS_ENGINE=compiled: the build fails unless the engine loads compiled. compileall:
# the app's .pyc files, written here because the running image writes none (read-only root,
# PYTHONDONTWRITEBYTECODE) and would otherwise compile every source at every process start.
RUN DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && TRAFFICLENS_ENGINE=compiled python -c "import routing.engine" \
    && python -m compileall -q manage.py dashboard routing \
    && groupadd --system --gid 10001 trafficlens \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp trafficlens
USER 10001:10001

EXPOSE 8000
# /healthz answers 200 once the database answers (503 without it); Python, since the slim image
# has no curl. Kubernetes ignores HEALTHCHECK and uses the probes in deploy/kubernetes/.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': 'localhost'}), timeout=4)"]
CMD ["gunicorn", "dashboard.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--worker-tmp-dir", "/tmp"]
