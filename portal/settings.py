"""Settings of the street-office portal, read from the environment.

Defaults are the embedded ones of `make run` (SQLite and Celery's filesystem transport under
var/); production sets DATABASE_URL, CELERY_BROKER_URL, REDIS_URL, SECRET_KEY and the field
encryption keys. docs/operations.md lists every variable.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# Under DEBUG, users see the portal's Chinese 404/500 pages; 1 shows Django's technical pages
# (tracebacks are logged to the console either way). No effect with DEBUG off.
DEBUG_TECHNICAL_PAGES = env_bool("DEBUG_TECHNICAL_PAGES", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (see docs/operations.md)"
        )
    SECRET_KEY = "dev-only-" + "x" * 60  # only ever used with DEBUG on

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_celery_beat",
    "django_celery_results",
    "portal",
    "grids",
    "services",
    "partybuilding",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after it: a request the database could not answer is a 503, not the 500 page.
    "portal.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.SessionMiddleware",  # Django's; a 503 when the database is away
    # The idle timeout: ends idle sessions, saves busy ones at most once a minute.
    "portal.sessions.SessionTouchMiddleware",
    "portal.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.middleware.TwoFactorMiddleware",
    # Then a password someone else chose is replaced before anything else.
    "portal.middleware.PasswordChangeMiddleware",
    "portal.middleware.RequestContextMiddleware",
    # Under DEBUG, the portal's own 404/500 pages (DEBUG_TECHNICAL_PAGES=1: Django's).
    "portal.middleware.PortalErrorPagesMiddleware",
    # A number out of range that reached the database from a page: 404, logged as a bug.
    "portal.middleware.OutOfRangeInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
# Forms render as Django's, with "请选择…" instead of "---------" on selects (portal/ui.py).
FORM_RENDERER = "portal.ui.FormRenderer"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env_url(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'portal.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql", "pgsql"),
)
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # PostgreSQL's JIT compiles the cadence query's subqueries for seconds and saves
    # milliseconds: measured 3.9 s with it, 0.15 s without, on the demo street.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Web server, worker and beat share the file in `make run`: wait for locks, do not fail.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    env_url("REDIS_URL", REDIS_URL, schemes=("redis", "rediss", "unix"))
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # Redis down is a cache miss, not a 500: pages, logins and the API keep working
            # (throttle counts restart from zero meanwhile); each error is logged.
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Template fragments that depend only on the code, the role and the language (the main menu,
# base.html's {% cache %}): kept in each process, never across the network; a deploy restarts
# the processes and so renders them anew.
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "template-fragments",
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

# A user's resolved scope (their grid and community ids) is reused across requests while no
# grant, assignment, region, grid or ungridded household has changed since (the committed scope
# generation, portal/scope_cache.py), and for at most this many seconds; 0 resolves it anew
# in every request. The limit matters only for rows changed by hand in SQL.
SCOPE_CACHE_SECONDS = env_int("SCOPE_CACHE_SECONDS", 60, minimum=0)
# Lists count their rows up to LIST_COUNT_CAP ("more than" above it, portal/paginator.py); a
# list found above the cap is not counted again for LIST_COUNT_CAP_MEMORY_SECONDS (0: never kept).
LIST_COUNT_CAP = env_int("LIST_COUNT_CAP", 10_000, minimum=1)
LIST_COUNT_CAP_MEMORY_SECONDS = env_int("LIST_COUNT_CAP_MEMORY_SECONDS", 60, minimum=0)

# --- Users, passwords, sessions -----------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portal.backends.RolePermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "portal.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle timeout: the session ends SESSION_IDLE_MINUTES after the last request (less at most
# SESSION_TOUCH_SECONDS). Not SESSION_SAVE_EVERY_REQUEST: portal.sessions saves a session at
# most once per SESSION_TOUCH_SECONDS, which moves its expiry forward (docs/operations.md).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_TOUCH_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Sessions are rows of the database; with Redis they are cached there as well, so a page view
# reads none (Redis down: read from the database, IGNORE_EXCEPTIONS above). Without Redis
# (`make run`) the database alone: a per-process memory cache would keep a session alive in
# one process after a logout in another.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

# Lockout after repeated failures (django-axes), per username.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
# Per account, not per IP: a whole street office sits behind one NAT address, and locking the
# address would lock out every colleague after one person's typos.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The two-factor page posts `code`: failed attempts are stored without it.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]

# Two-factor login for administrators (portal/two_factor.py). Required in production, so every
# administrator enrols; off under DEBUG so `make run`'s demo admin logs in with a password.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", not DEBUG)
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env_str("TWO_FACTOR_ISSUER", "街道办事处门户")
# No one, not even a superuser, reads another person's TOTP secret or backup codes in the admin.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Guardian: no anonymous user row; object grants are checked through visible_to().
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# --- Security (manage.py check --deploy is clean with DEBUG off) ---------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies of ours append to X-Forwarded-For (audit trail's client IP).
FORWARDED_PROXY_COUNT = env_int("FORWARDED_PROXY_COUNT", 0, minimum=0)
# Audit events stay in the table at least this long (等保: ≥ 6 months; lower is refused), then
# move to verified, compressed archive files under AUDIT_ARCHIVE_DIR (portal/audit_archive.py).
AUDIT_RETENTION_MONTHS = env_int("AUDIT_RETENTION_MONTHS", 6, minimum=6)
AUDIT_ARCHIVE_DIR = Path(env_str("AUDIT_ARCHIVE_DIR", str(VAR_DIR / "audit-archive")))
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Sensitive fields (ID numbers, phones): AES-GCM keys "kid:base64key", first one encrypts.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])
BLIND_INDEX_KEY = env_str("BLIND_INDEX_KEY")

# --- Language and time --------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# Production serves the output of collectstatic (hashed names, compressed); development and
# tests serve straight from static/ (STATIC_COLLECTED=0).
STATIC_COLLECTED = env_bool("STATIC_COLLECTED", not DEBUG)
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_COLLECTED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

# --- Mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "portal@localhost")

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    "filesystem://",
    schemes=("filesystem", "redis", "rediss", "amqp", "memory"),
)
CELERY_BROKER_FILESYSTEM_DIR = VAR_DIR / "celery"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_FILESYSTEM_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_FILESYSTEM_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: DRF takes the WWW-Authenticate header from the first class, so a bad or
    # expired token is a 401 that tells the client to authenticate, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "portal.api.scopes.TokenScopePermission",
    ],
    # Per API token, counted in the cache (Redis); a 429 carries Retry-After. People at a
    # browser are not throttled unless API_THROTTLE_USER_RATE is set.
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.api.scopes.TokenRateThrottle",
        "portal.api.scopes.SessionUserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": env_str("API_THROTTLE_TOKEN_RATE", "1200/minute") or None,
        "user": env_str("API_THROTTLE_USER_RATE", "") or None,
    },
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PortalPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "portal.api.filters.BoundedFilterBackend",  # number and id filters bounded
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Street-office portal API",
    "DESCRIPTION": "District integrations: scoped, token-authenticated access to the portal.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two models have a `kind` with different choices: name their enums apart.
    "ENUM_NAME_OVERRIDES": {
        "GridKindEnum": "grids.models.Grid.Kind",
        "HouseholdKindEnum": "grids.models.Household.Kind",
        "PartnerKindEnum": "services.models.Partner.Kind",
        "FunderKindEnum": "services.models.Funder.Kind",
        "ServiceGroupEnum": "services.models.ServiceItem.Group",
        "AllianceMemberKindEnum": "partybuilding.alliances.models.AllianceMember.Kind",
        "TemplatePeriodEnum": "reporting.intake.models.ReportTemplate.Period",
        "TemplateSourceEnum": "reporting.intake.models.ReportTemplate.Source",
        "ReferralStatusEnum": "services.referrals.models.Referral.Status",
        "PlanPeriodEnum": "services.referrals.models.Referral.PlanPeriod",
    },
}
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 365, minimum=1)
# Integrations (docs/api.md): how long an Idempotency-Key's answer is kept; webhook delivery.
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24, minimum=1)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# Webhooks go only to public addresses, except to these hosts (a district system inside the
# government network): comma list of host names or IP addresses.
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS", [])
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 12, minimum=1)
# Back-off: base × 2^(attempt − 1), at most WEBHOOK_RETRY_MAX_SECONDS (30 s, 1 min, 2 min, …).
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30, minimum=0)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 6 * 3600, minimum=1)
API_TOKEN_REMIND_DAYS = env_int("API_TOKEN_REMIND_DAYS", 14, minimum=1)

# --- Visits (探访关爱 cadence, configurable per city) --------------------------------------
VISIT_INTERVAL_DAYS = {
    "high": env_int("VISIT_INTERVAL_HIGH_DAYS", 7, minimum=1),
    "key": env_int("VISIT_INTERVAL_KEY_DAYS", 30, minimum=1),
    "general": env_int("VISIT_INTERVAL_GENERAL_DAYS", 90, minimum=1),
}
VISIT_MAJOR_EVENT_HOURS = env_int("VISIT_MAJOR_EVENT_HOURS", 24, minimum=1)
# The "visits due" list: overdue, or due within this many days (shorter than the weekly cadence,
# so a resident just visited leaves the list).
VISIT_DUE_SOON_DAYS = env_int("VISIT_DUE_SOON_DAYS", 3, minimum=0)
# Overdue visits escalate: the grid worker at once, then the grid leader, then the community.
VISIT_ESCALATE_LEADER_DAYS = env_int("VISIT_ESCALATE_LEADER_DAYS", 3, minimum=0)
VISIT_ESCALATE_COMMUNITY_DAYS = env_int("VISIT_ESCALATE_COMMUNITY_DAYS", 7, minimum=0)

# --- Referrals: days allowed at each stage before the referral escalates -------------------
REFERRAL_STAGE_DAYS = {
    "submitted": env_int("REFERRAL_SUBMITTED_DAYS", 2, minimum=1),  # street reviews
    "approved": env_int("REFERRAL_APPROVED_DAYS", 2, minimum=1),  # a partner is chosen
    "assigned": env_int("REFERRAL_ASSIGNED_DAYS", 3, minimum=1),  # the partner answers
    "accepted": env_int("REFERRAL_ACCEPTED_DAYS", 5, minimum=1),  # service starts
    "in_service": env_int("REFERRAL_IN_SERVICE_DAYS", 30, minimum=1),  # service completes
    "completed": env_int("REFERRAL_COMPLETED_DAYS", 7, minimum=1),  # follow-up visit
}
GUARDIAN_CONSENT_UNDER_AGE = env_int("GUARDIAN_CONSENT_UNDER_AGE", 14, minimum=1)
# Who must act on a referral hears this many hours before its stage deadline.
REFERRAL_DEADLINE_REMINDER_HOURS = env_int("REFERRAL_DEADLINE_REMINDER_HOURS", 24, minimum=1)
# Follow-ups (回访) are due at the end of the "completed" stage above; the community hears of
# one this many days after it was due and not done.
FOLLOW_UP_ESCALATE_DAYS = env_int("FOLLOW_UP_ESCALATE_DAYS", 3, minimum=0)
# Family-doctor contracts: the clinic and the grid hear this many days before a term ends.
FAMILY_DOCTOR_EXPIRY_REMINDER_DAYS = env_int("FAMILY_DOCTOR_EXPIRY_REMINDER_DAYS", 30, minimum=1)
# Partners: the street staff and the partner's own staff hear this many days before its
# agreement ends (after that day it is given no new referrals or contracts).
PARTNER_AGREEMENT_REMINDER_DAYS = env_int("PARTNER_AGREEMENT_REMINDER_DAYS", 60, minimum=1)

# --- Imports -----------------------------------------------------------------------------
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 50_000, minimum=1)
# Every upload (portal/uploads.py): size, and an .xlsx's zip directory checked before it is
# opened (a zip bomb is refused by its entry count or unpacked size).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
UPLOAD_XLSX_MAX_ENTRIES = env_int("UPLOAD_XLSX_MAX_ENTRIES", 1000, minimum=10)
UPLOAD_XLSX_MAX_UNCOMPRESSED = env_int(
    "UPLOAD_XLSX_MAX_UNCOMPRESSED", 200 * 1024 * 1024, minimum=1024 * 1024
)
IMPORT_INLINE_ROWS = env_int(
    "IMPORT_INLINE_ROWS", 500, minimum=1
)  # larger files run as a Celery job
# A job whose worker beat no heartbeat for this long was interrupted: beat's sweeper marks it
# failed (nothing was written) or, if it never started, queues it again.
IMPORT_HEARTBEAT_SECONDS = env_int("IMPORT_HEARTBEAT_SECONDS", 10, minimum=1)
IMPORT_STALE_SECONDS = env_int("IMPORT_STALE_SECONDS", 300, minimum=2)

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # one INFO line per login otherwise
    },
}
