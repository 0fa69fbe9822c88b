"""Settings for the partnerships registry, read from environment variables.

Every value has a safe default for a developer's machine; production sets
DEBUG=0 and must then provide SECRET_KEY (see README, "Running it for real").
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean; refuse anything ambiguous rather than guess."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_share(name: str, default: float) -> float:
    """A share between 0 and 1, e.g. 0.2 for 20 percentage points; refuse anything else."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number from 0 to 1, got {raw!r}") from exc
    if not 0 <= value <= 1:
        raise ImproperlyConfigured(f"{name} must be a number from 0 to 1, got {raw!r}")
    return value


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (see README, 'Environment variables')."
        )
    # Development only: a fixed, clearly-marked key so sessions survive restarts.
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105


def env_secret(name: str, *, dev_default: str) -> str:
    """A secret from the environment: required when DEBUG is off; with DEBUG, a fixed and
    clearly-marked development value (like SECRET_KEY above)."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(
            f"{name} must be set when DEBUG is off (see README, 'Environment variables')."
        )
    return dev_default


# People's data (see partnerships/core/privacy.py). The HMAC key turns a national ID number into
# the person's identifier; changing it makes every stored identifier unmatchable, so it is
# set once and kept. The name keys are Fernet keys, comma-separated: the first encrypts and
# all decrypt, so a new key goes first and `manage.py rotate_name_keys` re-encrypts.
PERSON_ID_HMAC_KEY = env_secret(
    "PERSON_ID_HMAC_KEY", dev_default="dev-only-person-id-hmac-key-do-not-use-in-production"
)
# Development only: urlsafe base64 of the 32 bytes "dev-only-person-name-key-not-prd".
_DEV_NAME_KEY = "ZGV2LW9ubHktcGVyc29uLW5hbWUta2V5LW5vdC1wcmQ="
PERSON_NAME_KEYS = env_list("PERSON_NAME_KEY", []) or [
    env_secret("PERSON_NAME_KEY", dev_default=_DEV_NAME_KEY)
]
# How many national ID numbers may be matched against the registry (report form and import
# previews, partnerships/placements/lookups.py) per user and per business in 24 hours: the
# answers reveal nothing, but a number checked is still a question asked of the registry.
# By default one import file of the largest size (20,000 rows) per user a day.
PERSON_LOOKUPS_PER_USER_PER_DAY = env_int("PERSON_LOOKUPS_PER_USER_PER_DAY", 20_000)
PERSON_LOOKUPS_PER_BUSINESS_PER_DAY = env_int("PERSON_LOOKUPS_PER_BUSINESS_PER_DAY", 40_000)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "partnerships.apps.PartnershipsConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_fsm",
    "django_tables2",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "partnerships.core.sessions.RenewIdleSessions",
    "partnerships.core.language.ChosenLanguage",
    "partnerships.core.middleware.RefuseOversizedBodies",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "partnerships.core.middleware.RefuseNulCharacters",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "partnerships.urls"
WSGI_APPLICATION = "partnerships.wsgi.application"

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
                "django.template.context_processors.i18n",
                "partnerships.core.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A busy SQLite waits for the writer instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
    "DATABASE_JIT", False
):
    # PostgreSQL's JIT compiles the report queries for longer than they run: their cost
    # estimates count correlated subqueries that are never executed, so at a million
    # placements it spent 0.7 s compiling a totals query that runs in 0.13 s.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Language and time: Vietnamese first, English complete.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "partnerships" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
# dd/mm/yyyy in both languages; see partnerships/formats/.
FORMAT_MODULE_PATH = ["partnerships.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))

# Email: console by default; SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "registry@localhost")
# The name shown beside DEFAULT_FROM_EMAIL on every email the registry sends.
REGISTRY_EMAIL_SENDER_NAME = os.environ.get("REGISTRY_EMAIL_SENDER_NAME", "Sổ đăng ký hợp tác")

# Seconds a DOCX to PDF conversion may take before LibreOffice is killed.
DOCUMENT_CONVERSION_TIMEOUT = env_int("DOCUMENT_CONVERSION_TIMEOUT", 60)
# The warm converters `manage.py run_converter` keeps running: CONVERTER_POOL_SIZE
# unoservers (one LibreOffice each, converting one document at a time) on consecutive ports
# from UNOSERVER_PORT. Each rendering takes a free one; run as many `run_worker --queue-name
# default` processes as converters, so that each worker has one (README, "Performance").
UNOSERVER_HOST = os.environ.get("UNOSERVER_HOST") or "127.0.0.1"
UNOSERVER_PORT = env_int("UNOSERVER_PORT", 2003)
CONVERTER_POOL_SIZE = env_int("CONVERTER_POOL_SIZE", 1)
if CONVERTER_POOL_SIZE < 1:
    raise ImproperlyConfigured("CONVERTER_POOL_SIZE must be at least 1")
CONVERTER_PORTS = [UNOSERVER_PORT + offset for offset in range(CONVERTER_POOL_SIZE)]

# --- Electronic signatures (see partnerships/signing/setup.py and the README) ---
# Each authority's own signer (PKCS#12 file or PKCS#11 key) and the rule its certificate must
# meet: a JSON file (partnerships/signing/authority_signers.py). An authority without one
# signs by download, its USB token and upload.
SIGNING_AUTHORITIES_FILE = os.environ.get("SIGNING_AUTHORITIES_FILE", "")
# A single signer for every authority without its own: a PKCS#12 file, or a key on a PKCS#11
# token (HSM, USB token). Used only with SIGNING_AUTHORITY_SHARED=1.
SIGNING_AUTHORITY_SHARED = env_bool("SIGNING_AUTHORITY_SHARED", False)
SIGNING_AUTHORITY_PKCS12 = os.environ.get("SIGNING_AUTHORITY_PKCS12", "")
SIGNING_AUTHORITY_PKCS12_PASSPHRASE = os.environ.get("SIGNING_AUTHORITY_PKCS12_PASSPHRASE", "")
SIGNING_AUTHORITY_PKCS11_MODULE = os.environ.get("SIGNING_AUTHORITY_PKCS11_MODULE", "")
SIGNING_AUTHORITY_PKCS11_TOKEN = os.environ.get("SIGNING_AUTHORITY_PKCS11_TOKEN", "")
SIGNING_AUTHORITY_PKCS11_PIN = os.environ.get("SIGNING_AUTHORITY_PKCS11_PIN", "")
SIGNING_AUTHORITY_PKCS11_KEY_LABEL = os.environ.get("SIGNING_AUTHORITY_PKCS11_KEY_LABEL", "")
SIGNING_AUTHORITY_PKCS11_CERT_LABEL = os.environ.get("SIGNING_AUTHORITY_PKCS11_CERT_LABEL", "")
# The registry's seal, applied for businesses without a certificate (after a one-time code).
SIGNING_SEAL_PKCS12 = os.environ.get("SIGNING_SEAL_PKCS12", "")
SIGNING_SEAL_PKCS12_PASSPHRASE = os.environ.get("SIGNING_SEAL_PKCS12_PASSPHRASE", "")
# Time-stamping authority (PAdES B-T, and the archive timestamp after the last signature).
SIGNING_TSA_URL = os.environ.get("SIGNING_TSA_URL", "")
# Seconds one signing request may wait, in all, for the time-stamping authority and the
# OCSP/CRL servers (well under the web worker's timeout); past it, nothing is signed.
SIGNING_NETWORK_TIMEOUT = env_int("SIGNING_NETWORK_TIMEOUT", 10)
if SIGNING_NETWORK_TIMEOUT <= 0:
    raise ImproperlyConfigured("SIGNING_NETWORK_TIMEOUT must be a positive number of seconds.")
# Seconds an OCSP answer fetched by one verification is reused by the next ones (never past
# its nextUpdate; 0: ask the responder every time). See signing/pdf/ocsp_reuse.py.
SIGNING_OCSP_REUSE_SECONDS = env_int("SIGNING_OCSP_REUSE_SECONDS", 60)
# PEM or DER files: the roots trusted when checking signatures, and intermediate CAs.
SIGNING_TRUST_ROOTS = env_list("SIGNING_TRUST_ROOTS", [])
SIGNING_EXTRA_CERTIFICATES = env_list("SIGNING_EXTRA_CERTIFICATES", [])
# Where validation may fetch certificates, CRLs and OCSP responses: URL prefixes, hosts
# (host:port) and *.domain entries. Empty: the endpoints the configured certificates name
# (public addresses only). See signing/pdf/fetching.py.
SIGNING_FETCH_ALLOWED = env_list("SIGNING_FETCH_ALLOWED", [])
# How a business certificate names its tax code; "{tax_code}" stands for the partner's.
SIGNING_TAX_CODE_PATTERN = os.environ.get("SIGNING_TAX_CODE_PATTERN", r"(?:MST:)?{tax_code}")
SIGNING_TAX_CODE_ATTRIBUTES = env_list("SIGNING_TAX_CODE_ATTRIBUTES", ["user_id", "serial_number"])
if "{tax_code}" not in SIGNING_TAX_CODE_PATTERN:
    raise ImproperlyConfigured("SIGNING_TAX_CODE_PATTERN must contain {tax_code}.")
# "hard-fail" refuses a certificate whose revocation status cannot be established.
SIGNING_REVOCATION_MODE = os.environ.get("SIGNING_REVOCATION_MODE", "hard-fail")
if SIGNING_REVOCATION_MODE not in {"hard-fail", "soft-fail", "require"}:
    raise ImproperlyConfigured("SIGNING_REVOCATION_MODE must be hard-fail, soft-fail or require.")
# Where the public verification pages live, as printed in the QR code of every signed PDF
# and in invitation emails, e.g. https://registry.example.gov.vn (no trailing slash).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
SIGNING_INVITATION_DAYS = env_int("SIGNING_INVITATION_DAYS", 14)
# Days a business has to record what came of a referral before it expires and the place it
# held opens again (expire_referrals, and the sweeper).
REFERRAL_EXPIRY_DAYS = env_int("REFERRAL_EXPIRY_DAYS", 30)
if REFERRAL_EXPIRY_DAYS < 1:
    raise ImproperlyConfigured("REFERRAL_EXPIRY_DAYS must be at least 1.")
# The signer's page shows the PDF as page images, rendered once per PDF (by its SHA-256).
SIGNING_PAGE_IMAGES_DIR = Path(
    os.environ.get("SIGNING_PAGE_IMAGES_DIR", BASE_DIR / "var" / "page-images")
)
SIGNING_CODE_MINUTES = env_int("SIGNING_CODE_MINUTES", 10)
SIGNING_CODE_MAX_ATTEMPTS = env_int("SIGNING_CODE_MAX_ATTEMPTS", 5)
SIGNING_CODES_PER_INVITATION = env_int("SIGNING_CODES_PER_INVITATION", 5)
# How many days before a signing link expires its holder is reminded (send_signing_reminders)
# and the staff dashboard counts the invitation as expiring.
SIGNING_REMINDER_DAYS = env_int("SIGNING_REMINDER_DAYS", 3)
# The largest PDF accepted by the upload and the public verification page.
SIGNING_MAX_UPLOAD_MB = env_int("SIGNING_MAX_UPLOAD_MB", 20)
# A request body larger than this is refused unread (core.middleware.RefuseOversizedBodies):
# above every upload form's own limit, so a file a little too large gets the form's message.
MAX_REQUEST_BODY_MB = env_int("MAX_REQUEST_BODY_MB", 2 * SIGNING_MAX_UPLOAD_MB)
# The demo PKI made by seed_demo; used only with DEBUG=1 when no signer is configured.
DEMO_PKI_DIR = Path(os.environ.get("DEMO_PKI_DIR", BASE_DIR / "var" / "demo-pki"))
# The demo's time-stamping authority (manage.py run_demo_tsa), used with the demo PKI when
# SIGNING_TSA_URL is not set.
DEMO_TSA_PORT = env_int("DEMO_TSA_PORT", 8790)

# Background work: the database backend in production, run by `manage.py run_worker`.
# Two queues, so that imports cannot starve document rendering: "default" (renderings, emails,
# tally recounts) and "imports" (reading and saving placement imports). Run a worker for each
# (README, "Keeping the background work moving").
IMPORTS_QUEUE = "imports"
TASK_QUEUES = ["default", IMPORTS_QUEUE]
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": TASK_QUEUES,
    }
}
# The sweeper (run by every worker this often, and by `manage.py sweep_stale_tasks` from cron)
# gives a final state to work left behind by a dead worker or stuck past its limit.
TASK_SWEEP_INTERVAL = env_int("TASK_SWEEP_INTERVAL", 60)
# How long an idle worker waits before it looks for new work again (`run_worker --interval`):
# a rendering waits for this much at most before it starts. One indexed query per look.
WORKER_POLL_INTERVAL = env_int("WORKER_POLL_MS", 200) / 1000
# Workers write a heartbeat this often; three missed beats and the worker counts as dead.
WORKER_HEARTBEAT_INTERVAL = env_int("WORKER_HEARTBEAT_INTERVAL", 10)
# Seconds a rendering may wait and run in all; any task (an import) may run at most TASK_TIME_LIMIT.
RENDERING_TIME_LIMIT = env_int("RENDERING_TIME_LIMIT", 10 * 60)
TASK_TIME_LIMIT = env_int("TASK_TIME_LIMIT", 60 * 60)

# Security headers. Everything the pages need is served by the app itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

DJANGO_TABLES2_TEMPLATE = "tables/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "data-table"}

# Reports (see partnerships/reports/). An MoU in force is flagged as lagging when the share
# of its term already elapsed exceeds the share of its pledged places delivered by more
# than this margin (0.2: 20 percentage points).
DELIVERY_LAG_MARGIN = env_share("DELIVERY_LAG_MARGIN", 0.2)
# Decision 22/2023/QĐ-TTg: an employer qualifies for preferential credit when at least this
# share of its workforce are people re-entering society on labour contracts.
PREFERENTIAL_CREDIT_WORKFORCE_SHARE = env_share("PREFERENTIAL_CREDIT_WORKFORCE_SHARE", 0.10)
# Which target groups (codes) that share counts: the Decision speaks of people who completed
# a prison sentence; whether others count is a legal reading, so it is configurable.
PREFERENTIAL_CREDIT_TARGET_GROUPS = env_list(
    "PREFERENTIAL_CREDIT_TARGET_GROUPS", ["completed_prison"]
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Request bodies can carry personal data: never log them.
    "loggers": {
        "django.request": {"level": "ERROR"},
        # Font subsetting and certificate validation are chatty at INFO; tampered files
        # make pyHanko log tracebacks that the verdict already explains.
        "fontTools": {"level": "WARNING"},
        "pyhanko_certvalidator": {"level": "WARNING"},
        "pyhanko": {"level": "ERROR"},
    },
}

# --- Hardening (issue 11): mail, sessions, login throttling, shared rate limits ------------
# Kept in one block so other changes to the settings above merge cleanly.

# Seconds an SMTP connection may hang before sending fails (Django's default: forever).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# Mail backends that deliver nothing: refused with DEBUG off (partnerships/core/checks.py),
# or signing links and one-time codes would silently go to the log.
UNDELIVERED_EMAIL_BACKENDS = [
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
]

# A session ends after this many idle seconds (use starts the count again, renewed at most
# every few minutes so that reading pages writes nothing: partnerships/core/sessions.py), and
# when the browser closes if SESSION_EXPIRE_AT_BROWSER_CLOSE is set.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 2 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", False)

# Login throttling (django-axes, partnerships/core/login_throttle.py): failed logins are
# counted in the database per username and address together; after AXES_FAILURE_LIMIT of
# them that pair waits LOGIN_LOCKOUT_MINUTES. Every login page goes through authenticate().
INSTALLED_APPS += ["axes"]
# Axes' middleware answers a locked-out login; it belongs last.
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "partnerships.core.login_throttle.LoginThrottle",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "partnerships.core.login_throttle.lockout_page"
# The same address the rate limits use: behind the TLS proxy, the one it appended.
AXES_CLIENT_IP_CALLABLE = "partnerships.core.ratelimit.client_ip"
# Usernames and addresses are personal data: axes logs neither.
AXES_VERBOSE = False
# Axes' own log lines name the username and address of each failure: personal data.
LOGGING["loggers"]["axes"] = {"level": "ERROR"}
