"""Django settings, from environment variables only (see README's configuration table).

Importing them writes nothing: `burrow migrate`, `serve` and `bootstrap` create the data dir and the
secret key (burrow/cli.py); the test suite's settings are tests/settings.py."""

import os
from urllib.parse import urlsplit

from burrow.config import (
    data_dir,
    database_settings,
    env_bool,
    env_networks,
    env_number,
    env_rate,
    secret_key,
)

DATA_DIR = data_dir()
SECRET_KEY = secret_key(DATA_DIR)  # "" until `burrow migrate` made one; commands then say so
# Prometheus metrics of every process of this installation are gathered in one folder of its data dir
# (prometheus-client's multiprocess mode reads the variable when it is first imported: burrow.core.metrics).
METRICS_DIR = DATA_DIR / "metrics"
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)
METRICS_TOKEN = os.environ.get("BURROW_METRICS_TOKEN", "")
DEBUG = env_bool("BURROW_DEBUG")
SITE_URL = os.environ.get("BURROW_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The site's own host and loopback names; BURROW_ALLOWED_HOSTS adds more (`*`: any). A forged Host header is
# refused before any link is built from it (docs/deviations.md).
ALLOWED_HOSTS = [
    urlsplit(SITE_URL).hostname or "127.0.0.1",
    "localhost",
    "127.0.0.1",
    "[::1]",
    *(h.strip() for h in os.environ.get("BURROW_ALLOWED_HOSTS", "").split(",") if h.strip()),
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "burrow.core",
    "burrow.analytics",
    "burrow.integrations",
    "burrow.subscriptions",
    "burrow.sharing",
    "burrow.domains",
    "burrow.domains.signin.attempts",
    "burrow.queries",
    "burrow.recordings",
]

MIDDLEWARE = [
    "burrow.core.middleware.RequestIdMiddleware",
    "burrow.core.metrics.MetricsMiddleware",
    "burrow.core.middleware.KnownHostMiddleware",
    "burrow.core.middleware.UnstorableTextMiddleware",
    "burrow.core.middleware.ForwardedProtoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Every form of a page needs its token; DRF views are exempt here and check it themselves for session
    # users (burrow.core.auth.SessionAuthentication), so API-key requests never need one.
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

# People sign in with a session (API keys stay for machines). The cookie never reaches scripts, is sent on
# top-level navigation from a mail link (Lax) and only over TLS when the site is served over https.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SITE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"
LOGIN_URL = "/login"
CSRF_FAILURE_VIEW = "burrow.domains.signin.pages.csrf_failure"
# Forms posted from the site's public address pass the CSRF origin check even when a TLS-terminating proxy
# hands Burrow the request as plain http (the browser's Origin then says https).
CSRF_TRUSTED_ORIGINS = [f"{urlsplit(SITE_URL).scheme}://{urlsplit(SITE_URL).netloc}"]
# Failed password sign-ins allowed per e-mail address and per client address within the window (then 429).
LOGIN_ATTEMPTS = env_number("BURROW_LOGIN_ATTEMPTS", 10, minimum=1, whole=True)
LOGIN_ATTEMPTS_WINDOW = env_number("BURROW_LOGIN_ATTEMPTS_WINDOW", 900, minimum=1, whole=True)
# Reverse proxies whose X-Forwarded-For is believed when they are the connection's peer (burrow.core.clients);
# empty: the client is always the connection's address.
TRUSTED_PROXIES = env_networks("BURROW_TRUSTED_PROXIES")
# Over an https site URL browsers are told to come back only over https (HSTS) for BURROW_HSTS_SECONDS (0: not
# told). Django sends it on https requests only: direct TLS, or a trusted proxy's X-Forwarded-Proto, which
# burrow.core.middleware.ForwardedProtoMiddleware believes only from BURROW_TRUSTED_PROXIES (Django's own
# SECURE_PROXY_SSL_HEADER would believe any client).
HSTS_SECONDS = env_number("BURROW_HSTS_SECONDS", 365 * 24 * 3600, minimum=0, whole=True)
SECURE_HSTS_SECONDS = HSTS_SECONDS if SITE_URL.startswith("https://") else 0

ROOT_URLCONF = "burrow.urls"
WSGI_APPLICATION = "burrow.wsgi.application"
APPEND_SLASH = False
AUTH_USER_MODEL = "core.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"

_default_db = f"sqlite:///{DATA_DIR / 'burrow.sqlite3'}"
DATABASES = {"default": database_settings(os.environ.get("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + immediate transactions let the web server and schedulers share the embedded file safely.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    # Django's PostgreSQL backend, whose health check is skipped for a connection that just served a
    # request (burrow/core/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "burrow.core.postgresql"
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Static files (Swagger UI and Redoc from drf-spectacular-sidecar, the pages' scripts) are collected by
# `burrow serve` into the data dir, the one place an installation writes, under content-hashed names with
# gzip copies beside them; WhiteNoise serves them from the web workers with a one-year immutable cache.
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
# Like everything in the data dir, for Burrow's user only (Django's default would make files 0644); WhiteNoise
# reads them as that user.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        # `{% brand_name %}` everywhere (burrow/core/templatetags/brand.py)
        "OPTIONS": {"context_processors": [], "builtins": ["burrow.core.templatetags.brand"]},
    }
]

# Throttle counters: shared through Redis when a Redis broker is configured, else per process.
_broker = os.environ.get("BURROW_BROKER_URL", "")
if _broker.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _broker}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Session recordings: where their snapshot blocks are stored (empty: files under the data dir; s3://…: a
# bucket), how long they are kept, and the largest request a recording client may send.
RECORDINGS_URL = os.environ.get("BURROW_RECORDINGS_URL", "").strip()
RECORDINGS_RETENTION_DAYS = env_number("BURROW_RECORDINGS_RETENTION_DAYS", 30, minimum=1, whole=True)
RECORDINGS_MAX_REQUEST_BYTES = env_number(
    "BURROW_RECORDINGS_MAX_REQUEST_BYTES", 20 * 1024 * 1024, minimum=1024, whole=True
)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

THROTTLE_BURST = env_rate("BURROW_THROTTLE_BURST")
THROTTLE_SUSTAINED = env_rate("BURROW_THROTTLE_SUSTAINED")

# The largest page a list answers (PostHog has no ceiling); a larger `limit` gets this many rows and a
# `next` link.
PAGE_SIZE_MAX = env_number("BURROW_PAGE_SIZE_MAX", 1000, minimum=1, whole=True)

REST_FRAMEWORK = {
    # Keys first (they win when a request carries both); a signed-in person's session second.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "burrow.core.auth.PersonalAPIKeyAuthentication",
        "burrow.core.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["burrow.core.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "burrow.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "burrow.core.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_CLASSES": [
        "burrow.core.throttling.BurstRateThrottle",
        "burrow.core.throttling.SustainedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "burst": THROTTLE_BURST or None,
        "sustained": THROTTLE_SUSTAINED or None,
    },
    "EXCEPTION_HANDLER": "burrow.core.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "burrow.core.schema.BurrowAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# The product's name where Burrow names itself (mails, Slack, pages, the API docs' title).
BRAND_NAME = os.environ.get("BURROW_BRAND_NAME", "").strip() or "Burrow"

SPECTACULAR_SETTINGS = {
    "TITLE": f"{BRAND_NAME} API",
    "DESCRIPTION": f"{BRAND_NAME}: PostHog's platform REST API, self-hosted. Operations are grouped by area.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Redoc's bundle as Burrow serves it (burrow/core/views.py: without the logo it would fetch elsewhere).
    "REDOC_DIST": "/api/schema/redoc",
    "AUTHENTICATION_WHITELIST": ["burrow.core.auth.PersonalAPIKeyAuthentication"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "burrow.core.schema.postprocess_operation_summaries",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # One tag per area (burrow.core.schema.AREA_TAGS picks an operation's), in this order, described.
    "TAGS": [
        {
            "name": "Subscriptions",
            "description": "Scheduled reports of a dashboard or insight, and their deliveries.",
        },
        {
            "name": "Sharing",
            "description": "Share links of dashboards, insights and session recordings, and passwords.",
        },
        {"name": "Dashboards and insights", "description": "Dashboards, insights and their tiles."},
        {"name": "Queries", "description": "Data sources, and the query API over them (SQL, read-only)."},
        {
            "name": "Session recordings",
            "description": "Recordings sent by posthog-js: list, metadata, snapshots, deletion.",
        },
        {
            "name": "Domains",
            "description": "An organization's domains: verification, SSO enforcement, SAML, SCIM.",
        },
        {
            "name": "Integrations",
            "description": "Project and organization integrations, Domain Connect, sender domains.",
        },
        {
            "name": "Organizations and projects",
            "description": "Organizations, projects, environments, users, keys, the activity log.",
        },
    ],
}

EMAIL_URL = os.environ.get("BURROW_EMAIL_URL", "")
EMAIL_FROM = os.environ.get("BURROW_EMAIL_FROM", "Burrow <burrow@localhost>")
BROKER_URL = os.environ.get("BURROW_BROKER_URL", "")
# Lets several Burrow installations share one broker without taking each other's deliveries.
BROKER_QUEUE = os.environ.get("BURROW_BROKER_QUEUE", "burrow-deliveries")
SCHEDULER_INTERVAL = env_number("BURROW_SCHEDULER_INTERVAL", 30, minimum=0.1)
WEBHOOK_ALLOW_PRIVATE = env_bool("BURROW_WEBHOOK_ALLOW_PRIVATE")
DNS_NAMESERVERS = [s.strip() for s in os.environ.get("BURROW_DNS_NAMESERVERS", "").split(",") if s.strip()]
# A failed domain verification may be retried after this many seconds (the DNS look-up is not free).
DOMAIN_VERIFY_RETRY_SECONDS = env_number("BURROW_DOMAIN_VERIFY_RETRY_SECONDS", 10, minimum=0)
SLACK_API_URL = os.environ.get("BURROW_SLACK_API_URL", "https://slack.com/api").rstrip("/")
ENCRYPTION_KEYS = [k for k in os.environ.get("BURROW_ENCRYPTION_KEYS", "").split(",") if k]

# Data sources and the query API (burrow/queries): which hosts a source may point at (host names or CIDRs;
# unset: public addresses and loopback), how long one query may run and how long `blocking` reuses a result.
DATA_SOURCE_HOSTS = [
    h.strip() for h in os.environ.get("BURROW_DATA_SOURCE_HOSTS", "").split(",") if h.strip()
]
QUERY_TIMEOUT = env_number("BURROW_QUERY_TIMEOUT", 30, minimum=0.1)
QUERY_CACHE_SECONDS = env_number("BURROW_QUERY_CACHE_SECONDS", 600, minimum=0, whole=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": {"()": "burrow.core.logs.StructuredFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BURROW_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Delivery engine
EMAIL_TIMEOUT = env_number("BURROW_EMAIL_TIMEOUT", 10, minimum=0.1)
DELIVERY_THREADS = env_number("BURROW_DELIVERY_THREADS", 4, minimum=1, whole=True)
DELIVERY_LEASE_SECONDS = env_number("BURROW_DELIVERY_LEASE_SECONDS", 600, minimum=1)
DELIVERY_RETRY_DELAY = env_number("BURROW_DELIVERY_RETRY_DELAY", 2, minimum=0)
DELIVERY_MAX_ATTEMPTS = 3
DELIVERY_AUTO_DISABLE_AFTER = 5
DELIVERY_MAX_RUNS = 5  # a delivery whose worker died this many times is recorded as failed
SCHEDULER_BATCH_SIZE = env_number("BURROW_SCHEDULER_BATCH_SIZE", 500, minimum=1, whole=True)
ASSET_URL_MAX_AGE = env_number("BURROW_ASSET_URL_MAX_AGE", 30 * 24 * 3600, minimum=60, whole=True)

# Integrations: each provider's OAuth app (a kind without its credentials answers "Kind not configured"),
# the GitHub App, and where server-to-server calls go. BURROW_<PROVIDER>_API_URL replaces the scheme and host
# (keeping the path) of every server-to-server call to that provider; browser-facing authorize URLs always
# keep the provider's real host. Slack's Web API base is BURROW_SLACK_API_URL above.
SLACK_CLIENT_ID = os.environ.get("BURROW_SLACK_CLIENT_ID", "")
SLACK_CLIENT_SECRET = os.environ.get("BURROW_SLACK_CLIENT_SECRET", "")
LINEAR_CLIENT_ID = os.environ.get("BURROW_LINEAR_CLIENT_ID", "")
LINEAR_CLIENT_SECRET = os.environ.get("BURROW_LINEAR_CLIENT_SECRET", "")
LINKEDIN_CLIENT_ID = os.environ.get("BURROW_LINKEDIN_CLIENT_ID", "")
LINKEDIN_CLIENT_SECRET = os.environ.get("BURROW_LINKEDIN_CLIENT_SECRET", "")
GITHUB_CLIENT_ID = os.environ.get("BURROW_GITHUB_CLIENT_ID", "")
GITHUB_CLIENT_SECRET = os.environ.get("BURROW_GITHUB_CLIENT_SECRET", "")
GITHUB_APP_SLUG = os.environ.get("BURROW_GITHUB_APP_SLUG", "")
GITHUB_APP_ID = os.environ.get("BURROW_GITHUB_APP_ID", "")
GITHUB_APP_PRIVATE_KEY = os.environ.get("BURROW_GITHUB_APP_PRIVATE_KEY", "")
LINEAR_API_URL = os.environ.get("BURROW_LINEAR_API_URL", "").rstrip("/")
LINKEDIN_API_URL = os.environ.get("BURROW_LINKEDIN_API_URL", "").rstrip("/")
GITHUB_API_URL = os.environ.get("BURROW_GITHUB_API_URL", "").rstrip("/")
TWILIO_API_URL = os.environ.get("BURROW_TWILIO_API_URL", "").rstrip("/")

# Domain Connect (one-click DNS set-up at the DNS provider): the key that signs apply URLs (PEM text; its public
# half is published in DNS under BURROW_DOMAIN_CONNECT_KEY_ID), the provider id the templates in
# docs/domain-connect/ are published under, and the DNS providers Burrow talks to (`endpoint=Name`, comma-separated).
DOMAIN_CONNECT_PRIVATE_KEY = os.environ.get("BURROW_DOMAIN_CONNECT_PRIVATE_KEY", "")
DOMAIN_CONNECT_KEY_ID = os.environ.get("BURROW_DOMAIN_CONNECT_KEY_ID", "") or "_dcpubkeyv1"
DOMAIN_CONNECT_PROVIDER_ID = os.environ.get("BURROW_DOMAIN_CONNECT_PROVIDER_ID", "") or "burrow"
DOMAIN_CONNECT_PROVIDERS = os.environ.get(
    "BURROW_DOMAIN_CONNECT_PROVIDERS",
    "api.cloudflare.com/client/v4/dns/domainconnect=Cloudflare,domainconnect.vercel.com=Vercel",
)
# Sender domains: the SPF mechanisms that authorise the SMTP relay of BURROW_EMAIL_URL to send for a customer's
# domain (unset → derived from the relay's host name).
EMAIL_SPF = os.environ.get("BURROW_EMAIL_SPF", "")
