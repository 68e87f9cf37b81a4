"""The one settings module: every deployment-specific value comes from an environment variable.

Each variable is documented in .env.example. A bad value raises ImproperlyConfigured at import,
so the process refuses to start rather than running half-configured.
"""

import re
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

from dashboard.env import (
    env_bool,
    env_choice,
    env_database,
    env_float,
    env_int,
    env_list,
    env_redis_url,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# Debug is off unless asked for: a production process must never get it by accident. The
# embedded run (`make run`) turns it on; SQLite and the in-memory channel layer are the defaults.
DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is false "
            "(for a development run set DEBUG=true, as `make run` does)"
        )
    SECRET_KEY = "django-insecure-trafficlens-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# Behind a reverse proxy (docker-compose.yml's nginx) every request arrives over the proxy's own
# plain-HTTP connection. Trust its X-Forwarded-Proto (https at the proxy) and X-Forwarded-Host
# only when told to: a client that can reach the app directly could forge them.
TRUST_PROXY_HEADERS = env_bool("TRUST_PROXY_HEADERS", default=False)
if TRUST_PROXY_HEADERS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# Served to browsers over https (usually TLS at the proxy): cookies travel only over https,
# plain http is redirected (health checks exempt: probes speak http inside the network), and
# HSTS is sent when its lifetime is set. All off for the embedded run and plain-http installs;
# docs/security.md lists the deploy checks that remain and why.
SERVED_OVER_HTTPS = env_bool("SERVED_OVER_HTTPS", default=False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=SERVED_OVER_HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=SERVED_OVER_HTTPS)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=SERVED_OVER_HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^api/v1/health$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
# Preloading is a promise to browser vendors that outlives this deployment; never by default.
SECURE_HSTS_PRELOAD = False
# Django's defaults, stated so that a reader (and `check --deploy`) sees them.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# The pages' scripts read the CSRF token from its cookie (js/api.js), so it cannot be HttpOnly;
# the session cookie, which is what matters, is.
CSRF_COOKIE_HTTPONLY = False

INSTALLED_APPS = [
    # daphne first: its runserver replaces Django's, so `runserver` serves the ASGI app.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI and Redoc assets served from this site (no CDN: deployments may be offline).
    "drf_spectacular_sidecar",
    "channels",
    "axes",  # sign-in lockout (dashboard/signin_lockout.py)
    "routing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dashboard.csp.ContentSecurityPolicyMiddleware",  # before WhiteNoise: static files too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "dashboard.wsgi.application"
ASGI_APPLICATION = "dashboard.asgi.application"

# Every page needs a signed-in user (dashboard.pages.common); sign-in lands on the clusters.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "clusters"
LOGOUT_REDIRECT_URL = "login"

# Sign-in lockout (django-axes) on both sign-in forms, by user name and address plus a cap per
# address (dashboard/signin_lockout.py says why). Unlock early in the admin (Axes > Access
# attempts) or with `manage.py axes_reset_username NAME`. AxesBackend first: it refuses a locked
# sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "dashboard.signin_lockout.UserAndAddressHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("TRAFFICLENS_LOGIN_FAILURE_LIMIT", default=10, minimum=1)
TRAFFICLENS_LOGIN_ADDRESS_FAILURE_LIMIT = env_int(
    "TRAFFICLENS_LOGIN_ADDRESS_FAILURE_LIMIT", default=100, minimum=1
)
LOGIN_COOLOFF_MINUTES = env_int("TRAFFICLENS_LOGIN_COOLOFF_MINUTES", default=15, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_RESET_ON_SUCCESS = True  # the owner's typos before a success do not count towards a lock
AXES_LOCKOUT_CALLABLE = "dashboard.signin_lockout.lockout_page"
AXES_CLIENT_IP_CALLABLE = "routing.client_ip.client_ip"
# Log each failure with user name and address (passwords are always masked), to be noticed.
AXES_SENSITIVE_PARAMETERS: list[str] = []
AXES_VERBOSE = False  # log user name, address and path (not the user agent); no start-up banner
# Reverse proxies in front of the app whose X-Forwarded-For entries name the client (compose's
# nginx: 1). 0 trusts no header: the client is the peer address (routing/client_ip.py).
TRAFFICLENS_TRUSTED_PROXIES = env_int("TRAFFICLENS_TRUSTED_PROXIES", default=0, minimum=0)
# Failed API token authentications one address may make per cool-off window before the next
# ones get 429 (routing/api/throttling.py); valid tokens are never refused.
TRAFFICLENS_TOKEN_FAILURE_LIMIT = env_int("TRAFFICLENS_TOKEN_FAILURE_LIMIT", default=20, minimum=1)

DATABASES = {
    "default": env_database("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded run writes snapshots from watcher threads while pages read: take the write
    # lock when a transaction starts (SQLite has no row locks) and wait for it instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    # Tests run watcher threads beside the test's own connection: an in-memory shared-cache
    # database has table locks that ignore the busy timeout, so tests use a file as well.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(BASE_DIR / "test-db.sqlite3")
    )
elif env_bool("DATABASE_POOL", default=False):
    # A connection pool per process (psycopg_pool), for the web server: without it every request
    # opens and closes a PostgreSQL connection, which costs more than the request itself
    # (docs/benchmarks.md). Off by default because a pool must not cross a fork (Celery's prefork
    # workers) and long-lived threads (the watcher) hold a slot while their connection is open;
    # docker-compose.yml turns it on for `web`, whose gunicorn workers load the app after forking.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("DATABASE_POOL_MAX", default=8, minimum=1),
        "timeout": 30,
    }
# The statements every API request runs (routing/prepared.py) as PostgreSQL prepared
# statements: planning them cost the server more than running them. psycopg prepares a
# statement on its second run on one connection; Django's own (client-binding) cursors never
# prepare. Set false behind a pooler in transaction mode that cannot keep prepared statements
# (PgBouncer before 1.21, or without max_prepared_statements).
DATABASE_PREPARED_STATEMENTS = DATABASES["default"][
    "ENGINE"
] == "django.db.backends.postgresql" and env_bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASE_PREPARED_STATEMENTS:
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        },
    }
else:
    # Single-process only: fine for the embedded run (server and watcher in one process, the
    # layer safe across their event loops), useless across web/worker processes.
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "routing.live.memory_layer.LoopSafeInMemoryChannelLayer"}
    }

# Answers computed from one snapshot never change (a snapshot is immutable), so the API caches
# some of them by cluster, seq and query (routing/api/cache.py): in Redis when there is one, so
# every web process shares them, else in process memory. 0 seconds turns this off.
API_CACHE_SECONDS = env_int("TRAFFICLENS_API_CACHE_SECONDS", default=600, minimum=0)
# An answer larger than this (pickled) is served but not stored, so that no single query can
# take a large share of the cache; a full page of 1000 Services is 0.1 to 0.6 MB.
API_CACHE_MAX_ENTRY_BYTES = env_int(
    "TRAFFICLENS_API_CACHE_MAX_ENTRY_BYTES", default=1_048_576, minimum=0
)
# Each web process keeps the columns the Services list filters, sorts and shows for the
# snapshots it was last asked about (routing/service_index), up to this many Services in all:
# about 540 bytes each once every order was asked, so 54 MB per process at 100,000 (ten
# snapshots of Kubernetes' limit of 10,000 Services). 0 turns it off: every page is then
# filtered, counted and sorted by the database, and its rows read by key.
SERVICE_INDEX_ROWS = env_int("TRAFFICLENS_SERVICE_INDEX_ROWS", default=100_000, minimum=0)
# The cache may live in a Redis of its own (TRAFFICLENS_CACHE_URL; docker-compose.yml's `cache`,
# bounded and evicting least recently used keys): eviction there can only drop cached answers
# and rate-limit counts, never Celery's queue, channel messages or the watchers' leases, which
# share REDIS_URL. Without it the cache uses REDIS_URL.
CACHE_URL = env_redis_url("TRAFFICLENS_CACHE_URL") or REDIS_URL
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "dashboard.redis_cache.RedisCache",  # one client per pool
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "trafficlens",
            # A Redis that stops answering must not hold requests: the cache is an optimisation
            # and is skipped while it fails (routing/api/cache.py). One immediate retry replaces
            # a pooled connection that a Redis restart closed; redis-py's default is three, with
            # back-off, which multiplies the timeouts.
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 1.0,
                "retry": Retry(NoBackoff(), 1),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Scheduled jobs (routing/tasks.py). With Redis: Celery worker + beat share it as broker. A task
# is acknowledged only after it ran and is requeued if its worker dies, so a killed worker's
# snapshot runs again; the snapshot itself is one transaction, so nothing half-written remains.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "trafficlens"
CELERY_BEAT_SCHEDULE = {
    "snapshot-due-clusters": {"task": "routing.snapshot_due_clusters", "schedule": 10.0},
    "prune-snapshots": {"task": "routing.prune_snapshots", "schedule": 3600.0},
    # Each source has its own interval (default 1 h); this tick only finds the due ones.
    "refresh-due-volumes": {"task": "routing.refresh_due_volumes", "schedule": 30.0},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` gathers the files that production serves (the Docker image runs it).
STATIC_ROOT = Path(env_str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# The project package is not an installed app, so its static directory is listed by hand.
STATICFILES_DIRS = [BASE_DIR / "dashboard" / "static"]
# WhiteNoise would read settings.DEBUG when the middleware starts, which test runners switch off;
# bind it to the configured value: finders in development, collected files in production.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # The manifest storage needs `collectstatic` first, which the Docker image runs; debug runs
    # serve straight from the app directories instead.
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}

# Domain settings.
# Zone-local routing may load one endpoint above its fair share; past this factor the analysis
# flags the Service as at risk of overload (1.0 = perfectly even, so lower values make no sense).
TRAFFICLENS_OVERLOAD_LIMIT = env_float("TRAFFICLENS_OVERLOAD_LIMIT", default=1.5, minimum=1.0)
# Which price list to use; "auto" reads it from the nodes' spec.providerID.
TRAFFICLENS_PROVIDER = env_choice(
    "TRAFFICLENS_PROVIDER",
    default="auto",
    choices=["aws", "gcp", "azure", "oracle", "none", "auto"],
)
# The port `manage.py serve` (`make run`) listens on, on 127.0.0.1, when given no [HOST:]PORT.
TRAFFICLENS_PORT = env_int("TRAFFICLENS_PORT", default=8000, minimum=1)
# Kubeconfig for clusters with source "kubeconfig" (blank: $KUBECONFIG or ~/.kube/config, as
# kubectl). The simulated demo cluster writes its own kubeconfig to TRAFFICLENS_SIM_KUBECONFIG.
TRAFFICLENS_KUBECONFIG = env_str("TRAFFICLENS_KUBECONFIG", default="") or None
TRAFFICLENS_SIM_KUBECONFIG = Path(
    env_str("TRAFFICLENS_SIM_KUBECONFIG", default=str(BASE_DIR / "var" / "simcluster.kubeconfig"))
)
# In a Pod with a service-account token (the watcher's in deploy/kubernetes/), `manage.py watch`
# registers the cluster it runs in under this name (source "incluster"), unless switched off.
# Only the name and source are stored; the token stays in the Pod (routing/kube/incluster.py).
TRAFFICLENS_INCLUSTER_REGISTER = env_bool("TRAFFICLENS_INCLUSTER_REGISTER", default=True)
TRAFFICLENS_INCLUSTER_NAME = env_str("TRAFFICLENS_INCLUSTER_NAME", default="local")
if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", TRAFFICLENS_INCLUSTER_NAME):
    raise ImproperlyConfigured(
        "TRAFFICLENS_INCLUSTER_NAME must be a cluster name: lower-case letters, digits and '-', at "
        f"most 63, starting and ending with a letter or digit; got {TRAFFICLENS_INCLUSTER_NAME!r}"
    )

# Measured traffic volumes (routing.volumes): a traffic source may read its Prometheus
# credentials only from environment variables whose names start with TRAFFICLENS_PROMETHEUS_
# and from files in this directory (mounted secrets), so a source cannot send other secrets of
# the deployment to the URL it names.
TRAFFICLENS_CREDENTIALS_DIR = Path(env_str("TRAFFICLENS_CREDENTIALS_DIR", default="/run/secrets"))
# Where a source measures the cross-zone share (Beyla's zones), a Service whose measured share
# differs from the simulated one by more than this (absolute, 0 to 1) is flagged.
TRAFFICLENS_MODEL_MISMATCH = env_float("TRAFFICLENS_MODEL_MISMATCH", default=0.1, minimum=0.0)
# The demo (`manage.py serve` without a kubeconfig) measures its volumes through a Prometheus it
# starts when the binary is installed; false: take them from the simulation's model directly.
TRAFFICLENS_DEMO_PROMETHEUS = env_bool("TRAFFICLENS_DEMO_PROMETHEUS", default=True)

# /metrics (Prometheus) needs a viewer token unless this is true (e.g. when only Prometheus
# inside the cluster can reach the port).
TRAFFICLENS_METRICS_PUBLIC = env_bool("TRAFFICLENS_METRICS_PUBLIC", default=False)

# Largest kubectl dump the REST API accepts as an upload, in bytes (default 50 MB). The upload
# view reads at most this many bytes plus one and answers 413 past it.
TRAFFICLENS_UPLOAD_MAX_BYTES = env_int(
    "TRAFFICLENS_UPLOAD_MAX_BYTES", default=52_428_800, minimum=1
)
# YAML takes the loader some 45 bytes of memory per byte (JSON: about 8), so YAML uploads have a
# lower limit of their own (default 10 MB); larger clusters upload as JSON.
TRAFFICLENS_UPLOAD_MAX_YAML_BYTES = env_int(
    "TRAFFICLENS_UPLOAD_MAX_YAML_BYTES", default=10_485_760, minimum=1
)
# The most objects an upload (API or `snapshot --from-file`) may hold, counted right after
# parsing and answered with 413 past any of them (routing/snapshots/intake.py). The defaults are
# Kubernetes' own scalability thresholds (5,000 Nodes, 10,000 Services, 150,000 Pods);
# EndpointSlices: one per Service and IP family (2 x 10,000); endpoints: each of 150,000 Pods
# behind two Services. Measured peak memory at these limits: docs/benchmarks.md.
TRAFFICLENS_UPLOAD_MAX_NODES = env_int("TRAFFICLENS_UPLOAD_MAX_NODES", default=5_000, minimum=1)
TRAFFICLENS_UPLOAD_MAX_SERVICES = env_int(
    "TRAFFICLENS_UPLOAD_MAX_SERVICES", default=10_000, minimum=1
)
TRAFFICLENS_UPLOAD_MAX_ENDPOINT_SLICES = env_int(
    "TRAFFICLENS_UPLOAD_MAX_ENDPOINT_SLICES", default=20_000, minimum=1
)
TRAFFICLENS_UPLOAD_MAX_PODS = env_int("TRAFFICLENS_UPLOAD_MAX_PODS", default=150_000, minimum=0)
# The workloads that own Pods (routing.workloads): a Deployment per Service, twice over, each
# with a few old ReplicaSets kept for rollbacks (revisionHistoryLimit); StatefulSets at the
# Services threshold; DaemonSets are node agents, tens in a cluster. The objects limit below
# still bounds the sum: a dump at the Pods limit with many old ReplicaSets may need it raised.
TRAFFICLENS_UPLOAD_MAX_REPLICA_SETS = env_int(
    "TRAFFICLENS_UPLOAD_MAX_REPLICA_SETS", default=100_000, minimum=0
)
TRAFFICLENS_UPLOAD_MAX_DEPLOYMENTS = env_int(
    "TRAFFICLENS_UPLOAD_MAX_DEPLOYMENTS", default=20_000, minimum=0
)
TRAFFICLENS_UPLOAD_MAX_STATEFUL_SETS = env_int(
    "TRAFFICLENS_UPLOAD_MAX_STATEFUL_SETS", default=10_000, minimum=0
)
TRAFFICLENS_UPLOAD_MAX_DAEMON_SETS = env_int(
    "TRAFFICLENS_UPLOAD_MAX_DAEMON_SETS", default=1_000, minimum=0
)
TRAFFICLENS_UPLOAD_MAX_ENDPOINTS = env_int(
    "TRAFFICLENS_UPLOAD_MAX_ENDPOINTS", default=300_000, minimum=0
)
# Every object in the dump, of any kind (ignored kinds are parsed too).
TRAFFICLENS_UPLOAD_MAX_OBJECTS = env_int(
    "TRAFFICLENS_UPLOAD_MAX_OBJECTS", default=200_000, minimum=1
)
# Django's own body limit (2.5 MB) stays for every other request: the upload view never reads
# request.body or a form field, it streams the raw body or the multipart file itself against the
# limit above, so these two settings do not cut uploads short (FILE_UPLOAD_MAX_MEMORY_SIZE only
# decides when Django spools a body to a temporary file).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# REST API (/api/v1/, routing/api/): token auth first, so an anonymous request gets 401 with
# `WWW-Authenticate: Bearer`; session auth (with Django's CSRF check) for the browser.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "routing.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["routing.api.permissions.RolePermission"],
    "DEFAULT_RENDERER_CLASSES": ["routing.api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "routing.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "routing.api.errors.exception_handler",
    # Anonymous requests only (DRF throttles after authentication and permissions, so what an
    # anonymous client reaches is the health check); signed-in users and tokens are not limited,
    # dashboards poll. Failed tokens are limited in routing/api/auth.py.
    "DEFAULT_THROTTLE_CLASSES": ["routing.api.throttling.AnonymousRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min"},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "TrafficLens API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "Where each Kubernetes Service's traffic goes, zone to zone, and what it costs: "
        "clusters, their snapshots, and the per-Service analysis of each snapshot.\n\n"
        "Authenticate with `Authorization: Bearer <token>` (tokens come from "
        "`manage.py create_token` or the admin) or with a browser session. Roles are the groups "
        "`viewer` (read), `editor` (also upload dumps) and `admin` (also manage clusters), "
        "on every cluster; cluster grants give a role on one cluster, and a cluster one holds no "
        "role on answers 404 as if it did not exist. "
        "Every error has the shape "
        '`{"error": {"status": 404, "code": "not_found", "message": "...", "details": {}}}`.'
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["routing.api.permissions.RolePermission"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Clusters and snapshots both have `source` and `status` choices; name each set.
    "ENUM_NAME_OVERRIDES": {
        "ClusterSourceEnum": "routing.models.Cluster.Source",
        "ClusterStatusEnum": "routing.models.Cluster.Status",
        "SnapshotSourceEnum": "routing.models.Snapshot.Source",
        "SnapshotStatusEnum": "routing.models.Snapshot.Status",
        "HealthStatusEnum": ["ok", "error"],
    },
}

LOG_LEVEL = env_choice(
    "LOG_LEVEL", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's default config gives "django" its own console handler; drop it so records reach
    # the root handler once instead of twice.
    "loggers": {"django": {"handlers": [], "level": LOG_LEVEL, "propagate": True}},
}
