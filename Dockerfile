# Production-shaped image: gunicorn serves the app (WSGI, WEB_CONCURRENCY processes), WhiteNoise
# the collected static files.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The app runs from /app (gunicorn and manage.py put the working directory first on sys.path), so
# the top-level templates/ is found beside the code; `pip install .` brings the pinned dependencies.
COPY . .
RUN pip install . \
    # collectstatic reads settings, which refuse to start without a SECRET_KEY when DEBUG is off;
    # this throwaway key exists only for this build step.
    && DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 --no-create-home --home-dir /app trafficlens
USER trafficlens

EXPOSE 8000
# One synchronous worker process per core serves the API fastest (docs/benchmarks.md).
ENV WEB_CONCURRENCY=2
CMD ["gunicorn", "dashboard.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
