"""Linli settings: one file, every value from the environment with a safe local default."""

from pathlib import Path

from linli.env import database_from_url, env_bool, env_int, env_int_map, env_str

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env_str("LINLI_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    # A local secret created on first run, kept outside git like the ledger key.
    _secret_file = VAR_DIR / "secret_key"
    if not _secret_file.exists():
        import secrets

        _secret_file.write_text(secrets.token_urlsafe(50))
        _secret_file.chmod(0o600)
    SECRET_KEY = _secret_file.read_text().strip()
ALLOWED_HOSTS = env_str("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_FAILURE_VIEW = "linli.web.views.csrf_failure"  # friendly, translated, no details
CSRF_TRUSTED_ORIGINS = [o for o in env_str("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "csp",
    "ninja",
    "huey.contrib.djhuey",
    "linli.communities",
    "linli.ledger",
    "linli.members",
    "linli.merchants",
    "linli.commerce",
    "linli.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "linli.web.middleware.ElderlyModeMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "linli.urls"
WSGI_APPLICATION = "linli.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "linli.web.context_processors.shell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite (WAL, FULL sync, IMMEDIATE transactions) by default; PostgreSQL via DATABASE_URL.
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
    "PRAGMA busy_timeout=5000;"
)
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'linli.sqlite3'}")
_database = database_from_url(DATABASE_URL)
if _database["ENGINE"].endswith("sqlite3"):
    _database["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "init_command": _SQLITE_PRAGMAS}
    _database["TEST"] = {"NAME": env_str("SQLITE_TEST_NAME", str(VAR_DIR / "test.sqlite3"))}
else:
    # Correctness first (DESIGN.md "Settings are correctness"): durable commits, short lock waits.
    _database["OPTIONS"].setdefault(
        "options", "-c synchronous_commit=on -c lock_timeout=2000 -c statement_timeout=60000"
    )
_database["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
_database["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth and security ----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "linli.web.views.login_locked_out"  # translated page in the layout
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)

# --- Language and time ----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "src" / "linli" / "locale"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise looks for it at start-up
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Background jobs (huey: SQLite file by default, Redis when REDIS_URL is set) ------
REDIS_URL = env_str("REDIS_URL", "")
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "linli",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "linli",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
    }
HUEY["consumer"] = {"workers": 2, "worker_type": "thread", "periodic": True}

# --- Ledger ---------------------------------------------------------------------------
# The Ed25519 key that signs checkpoints lives outside the database, created on first use.
LEDGER_SIGNING_KEY_PATH = Path(
    env_str("LEDGER_SIGNING_KEY_PATH", str(VAR_DIR / "keys" / "ledger-ed25519.pem"))
)
LEDGER_CHECKPOINT_DIR = Path(env_str("LEDGER_CHECKPOINT_DIR", str(VAR_DIR / "checkpoints")))
LEDGER_ORIGIN_PREFIX = env_str("LEDGER_ORIGIN_PREFIX", "linli.ledger")

# --- Logging: one JSON object per line ------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "linli.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Velocity and amount limits at the till (linli.commerce.limits.DEFAULT_LIMITS), overridden
# key by key, e.g. LINLI_SALE_LIMITS="merchant_sales=120,confirm_above_fen=20000".
LINLI_SALE_LIMITS = env_int_map("LINLI_SALE_LIMITS")
# Sign-in code limits before any community is known (linli.members.services.joining.
# SITE_SMS_LIMITS); a community's own limits are in its policy.
LINLI_SMS_SITE_LIMITS = env_int_map("LINLI_SMS_SITE_LIMITS")
