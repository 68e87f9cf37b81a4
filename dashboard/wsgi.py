"""WSGI entry point, for servers without ASGI (no WebSockets there)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

application = get_wsgi_application()

# Everything loaded so far (Django, DRF, the app, its URL and settings) lives as long as the
# worker: moved out of the collector's generations, a full collection no longer scans it. Under
# bench_api's cold list load, two rounds each way: 318-322 against 307-308 req/s, p99 94-95
# against 99-100 ms (docs/benchmarks.md, issue 16 target 3). Each gunicorn worker imports this
# after it forks, so each freezes its own.
gc.freeze()
