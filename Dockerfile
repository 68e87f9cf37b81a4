# Production-shaped image: Daphne serves the ASGI app, WhiteNoise the collected static files.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The app runs from /app (daphne and manage.py put the working directory first on sys.path), so
# the top-level templates/ is found beside the code; `pip install .` brings the pinned dependencies.
COPY . .
RUN pip install . \
    # collectstatic reads settings, which refuse to start without a SECRET_KEY when DEBUG is off;
    # this throwaway key exists only for this build step.
    && DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 --no-create-home --home-dir /app trafficlens
USER trafficlens

EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "dashboard.asgi:application"]
