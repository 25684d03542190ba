"""Settings for partysite: one module, read from the environment (django-environ).

With nothing set, the site runs on SQLite in ``var/`` and Celery tasks run inline.
``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and a real Celery broker.
``DJANGO_ENV`` is ``production`` or ``development``, nothing else; production refuses to start
with DEBUG on or without a real (random, at least 50 characters) secret key, allowed hosts and
field-encryption key; an invalid Fernet key is refused everywhere.
"""

from pathlib import Path

import environ
from celery.schedules import crontab as _crontab
from cryptography.fernet import Fernet as _Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in ("production", "development"):  # "Production" must not run the development setup
    raise ImproperlyConfigured(f"DJANGO_ENV 只能是 production 或 development（小写），而不是 {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

_DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"
# A Fernet key (32 url-safe base64 bytes) used only when nothing is configured.
_DEV_FIELD_KEY = "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE="

SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default=_DEV_FIELD_KEY)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])


def _weak_secret_key(key: str) -> bool:
    """As Django's ``check --deploy`` judges it (security.W009), and never the development key."""
    return key == _DEV_SECRET_KEY or len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-")


try:
    _Fernet(FIELD_ENCRYPTION_KEY)
except (ValueError, TypeError):
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY 不是有效的 Fernet 密钥（32 字节的 URL 安全 base64，"
        "可用 cryptography.fernet.Fernet.generate_key() 生成）"
    ) from None

if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("DEBUG 必须关闭")
    if _weak_secret_key(SECRET_KEY):
        problems.append("SECRET_KEY（至少 50 个字符、至少 5 种不同字符的随机值，不得使用开发密钥）")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS")
    if FIELD_ENCRYPTION_KEY == _DEV_FIELD_KEY:
        problems.append("FIELD_ENCRYPTION_KEY（与 SECRET_KEY 不同的 Fernet 密钥）")
    if FIELD_ENCRYPTION_KEY == SECRET_KEY:
        problems.append("FIELD_ENCRYPTION_KEY 不得与 SECRET_KEY 相同")
    if problems:
        raise ImproperlyConfigured("生产环境缺少或使用了不安全的设置：" + "；".join(problems))

INSTALLED_APPS = [
    "partysite.admin_site.SuperuserAdminConfig",  # django.contrib.admin, for superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "import_export",
    "treebeard",
    "auditlog",
    "axes",
    "core",
    "branches",
    "members",
    "activities",
    "service",  # 在职党员报到 and the 点单—派单—接单 loop (docs/rules/service.md)
    "health",
    "reports",
    "demo",  # demo and scale data (seed_demo), on top of every other app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "partysite.headers.SecurityHeadersMiddleware",  # Content-Security-Policy, Permissions-Policy
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "branches.audit.AuditMiddleware",  # who and from which IP, for django-auditlog's entries
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out log-in (docs/SECURITY.md)
]

ROOT_URLCONF = "partysite.urls"
WSGI_APPLICATION = "partysite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["core.templatetags.people"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'partysite.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and the one writer run side by side; wait instead of "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A kept connection that died between requests (the server restarted, a proxy dropped it) is
# tested at the start of the next request and replaced, instead of failing that request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "partysite.security.LoginLockoutBackend",  # django-axes first: refuses a locked-out log-in
    "members.backends.MemberLoginBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
GUARDIAN_USER_OBJ_PERMS_MODEL = "branches.BranchUserObjectPermission"
GUARDIAN_GROUP_OBJ_PERMS_MODEL = "branches.BranchGroupObjectPermission"
ANONYMOUS_USER_NAME = None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Files with personal data (export outputs, import previews, activity files) live outside
# MEDIA_ROOT in one private storage that no URL serves (branches/files.py); job outputs and
# import previews are deleted after PRIVATE_FILES_MAX_AGE_DAYS by the beat's daily sweep.
PRIVATE_FILES_ROOT = env.path("PRIVATE_FILES_ROOT", default=str(VAR_DIR / "private"))
PRIVATE_FILES_MAX_AGE_DAYS = env.int("PRIVATE_FILES_MAX_AGE_DAYS", default=7)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {"BACKEND": "branches.files.PrivateStorage", "OPTIONS": {"location": str(PRIVATE_FILES_ROOT)}},
}

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_COOKIE_HTTPONLY = True
# Shared office computers: a session ends with the browser, and after 8 hours at the latest.
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
# Sessions in the database, one row each with its user and device (core/sessions_db.py); with Redis,
# read from it (core/sessions.py, below).
SESSION_ENGINE = "core.sessions_db"
# "在这台手机上保持登录" on the log-in and activation pages (docs/SECURITY.md, "Remembered phones"): the
# session outlives the browser and lasts this many days after its last use, refreshed at most once in
# REMEMBER_PHONE_REFRESH_MINUTES. Accounts with a branch grant (secretaries, organization departments)
# keep the default session unless REMEMBER_PHONE_STAFF.
REMEMBER_PHONE_DAYS = env.int("REMEMBER_PHONE_DAYS", default=30)
REMEMBER_PHONE_REFRESH_MINUTES = env.int("REMEMBER_PHONE_REFRESH_MINUTES", default=60)
REMEMBER_PHONE_STAFF = env.bool("REMEMBER_PHONE_STAFF", default=False)
CSRF_COOKIE_HTTPONLY = False
# A refused CSRF check answers the API's JSON under /api/, Django's page elsewhere.
CSRF_FAILURE_VIEW = "activities.api.csrf_failure"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy of every response (partysite/headers.py, which also sends the
# Permissions-Policy): scripts, styles, images and fetches from the site itself only; no inline
# script or style attribute anywhere in templates/ (moved to static/js and static/css); no plugin;
# never framed; forms post only to the site.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}

# Import limits: a file larger than this is refused before it is read.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# An .xlsx is a zip: its parts may unpack to at most this many times the upload's size, and to
# at most IMPORT_MAX_UNPACKED_BYTES in all; the shared-strings part to IMPORT_MAX_SHARED_STRINGS_BYTES.
IMPORT_MAX_UNPACKED_RATIO = env.int("IMPORT_MAX_UNPACKED_RATIO", default=100)
IMPORT_MAX_UNPACKED_BYTES = env.int("IMPORT_MAX_UNPACKED_BYTES", default=256 * 1024 * 1024)
IMPORT_MAX_SHARED_STRINGS_BYTES = env.int("IMPORT_MAX_SHARED_STRINGS_BYTES", default=64 * 1024 * 1024)
# Activities: the largest photo or document a secretary may attach.
ACTIVITY_FILE_MAX_BYTES = env.int("ACTIVITY_FILE_MAX_BYTES", default=10 * 1024 * 1024)
# Meetings (docs/rules/meetings.md): the quorum of a 支部党员大会, "more_than_half" (超过半数) or
# "at_least_half" (半数以上), counted on the voting members expected (支部工作条例 arts. 11-12); how long
# a probation decision may wait for the higher committee's approval before it is flagged.
QUORUM_RULE = env.str("QUORUM_RULE", default="more_than_half")
PROBATION_APPROVAL_WARN_MONTHS = env.int("PROBATION_APPROVAL_WARN_MONTHS", default=3)
# Compliance, 学时 and structure warnings (docs/rules/compliance.md): the 党课 a branch secretary must give
# each year (0: no such line); the 学时 a year of a member and of a secretary or committee member
# (党员教育管理工作条例 art. 20); a 党支部 is flagged below this many full members, above this many
# members, or with 7+ full members and fewer committee members than this (支部工作条例 chapters 2 and 6).
SECRETARY_LECTURES_PER_YEAR = env.int("SECRETARY_LECTURES_PER_YEAR", default=1)
STUDY_HOURS_MEMBER = env.int("STUDY_HOURS_MEMBER", default=32)
STUDY_HOURS_COMMITTEE = env.int("STUDY_HOURS_COMMITTEE", default=56)
STRUCTURE_MIN_FULL_MEMBERS = env.int("STRUCTURE_MIN_FULL_MEMBERS", default=3)
STRUCTURE_MAX_MEMBERS = env.int("STRUCTURE_MAX_MEMBERS", default=50)
STRUCTURE_COMMITTEE_MIN_POSITIONS = env.int("STRUCTURE_COMMITTEE_MIN_POSITIONS", default=3)
# Key of the check-in QR tokens' HMAC; empty: derived from SECRET_KEY with a salt of its own.
CHECKIN_TOKEN_KEY = env.str("CHECKIN_TOKEN_KEY", default="")
IMPORT_EXPORT_USE_TRANSACTIONS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Celery: inline without REDIS_URL, a real broker with it.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task its worker has not acknowledged (acks_late: a killed worker) is handed over again after
# this many seconds (Celery's Redis default: one hour). Longer than the longest job (a province's
# health-check recomputation takes minutes: docs/PERFORMANCE.md), or a job still running is started twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=30 * 60)}
# The beat's sweep (reports.fail_stale_jobs, every 5 minutes) marks failed, with a retry offered,
# a job queued longer than this (its message lost: Redis lost its data) or running without progress
# for longer than that (more than the visibility timeout: a redelivered job restarts first).
JOB_QUEUED_TIMEOUT_MINUTES = env.int("JOB_QUEUED_TIMEOUT_MINUTES", default=60)
JOB_RUNNING_TIMEOUT_MINUTES = env.int("JOB_RUNNING_TIMEOUT_MINUTES", default=45)
# Pages over a large subtree (more nodes than this: a city, a big town) summarize per child and keep the
# figures read from every row of it (compliance, art. 9 warnings, arrears) this many seconds (branches/summaries.py).
LARGE_SUBTREE_BRANCHES = env.int("LARGE_SUBTREE_BRANCHES", default=200)
SUBTREE_SUMMARY_SECONDS = env.int("SUBTREE_SUMMARY_SECONDS", default=300)
# A roster export of more members than this runs as a background job (reports/jobs.py), a smaller one at once.
ROSTER_EXPORT_DIRECT_MAX = env.int("ROSTER_EXPORT_DIRECT_MAX", default=3000)
CELERY_TIMEZONE = TIME_ZONE
# Reports and health checks computed by the beat (reports/schedule.py): every night at this time
# ("HH:MM", Asia/Shanghai), each month, quarter and year that ended within the last
# REPORTS_CATCH_UP_MONTHS months and is not computed yet: the night after it ends, or the next night
# after a missed one. The health checks of a quarter or year run first, so its report counts them.
REPORTS_COMPUTE_AT = env.str("REPORTS_COMPUTE_AT", default="02:30")
REPORTS_CATCH_UP_MONTHS = env.int("REPORTS_CATCH_UP_MONTHS", default=12)
_compute_hour, _compute_minute = REPORTS_COMPUTE_AT.split(":")
CELERY_BEAT_SCHEDULE: dict = {
    # Times in Asia/Shanghai.
    "daily-reminders": {"task": "reports.daily_reminders", "schedule": _crontab(hour=7, minute=30)},
    "compute-due": {"task": "reports.compute_due", "schedule": _crontab(hour=_compute_hour, minute=_compute_minute)},
    "fail-stale-jobs": {"task": "reports.fail_stale_jobs", "schedule": _crontab(minute="*/5")},
    "sweep-private-files": {"task": "reports.sweep_private_files", "schedule": _crontab(hour=3, minute=15)},
    "service-return-overdue": {"task": "service.return_overdue", "schedule": _crontab(minute="*/15")},
    # The quarterly feedback cards of registered members' service, on the first day of each quarter (issue 16).
    "service-feedback-cards": {
        "task": "service.feedback_cards",
        "schedule": _crontab(month_of_year="1,4,7,10", day_of_month=1, hour=3, minute=45),
    },
}

# Audit trail (docs/AUDIT.md): django-auditlog logs every save of these models with its
# before/after values; bulk writes record one branches.AuditBulkEvent each. ID numbers are
# never logged in clear: the encrypted blob and digest are excluded, the phone is masked.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {
        "model": "members.Member",
        "exclude_fields": [
            "id_number_encrypted",
            "id_number_digest",
            "name_pinyin",
            "birth_date",
            "created_at",
            "updated_at",
        ],
        "mask_fields": ["phone"],
    },
    {"model": "members.Position"},
    {"model": "members.DuesPayment", "exclude_fields": ["updated_at"]},
    {"model": "members.DuesReduction", "exclude_fields": ["recorded_at"]},
    {"model": "members.IncomeChange", "exclude_fields": ["recorded_at"]},
    {"model": "members.FarmerDuesRate", "exclude_fields": ["set_at"]},
    {"model": "members.Commendation", "exclude_fields": ["recorded_at"]},
    {"model": "members.Sanction", "exclude_fields": ["recorded_at"]},
    {"model": "members.LapseNote", "exclude_fields": ["recorded_at"]},
    {"model": "activities.Activity", "exclude_fields": ["fixed_qr_secret", "created_at", "updated_at"]},
    {"model": "activities.Attendance", "exclude_fields": ["created_at", "updated_at"]},
    {"model": "activities.LeaveRequest"},
    {"model": "activities.Resolution", "exclude_fields": ["created_at"]},
    {"model": "activities.ActivityExtraKind"},
    {"model": "activities.ProbationDecision", "exclude_fields": ["recorded_at"]},
    {"model": "activities.ExpectedExemption", "exclude_fields": ["recorded_at"]},
    {"model": "service.Grid", "exclude_fields": ["poster_key"]},
    {"model": "service.ServicePost"},
    {"model": "service.VolunteerTeam"},
    {"model": "service.TeamMembership"},
    {"model": "service.ServiceRequestPhoto", "exclude_fields": ["uploaded_at"]},
    {"model": "service.Registration"},
    {"model": "service.UnitRegistration", "mask_fields": ["contact_phone"]},
    {
        "model": "service.ServiceRequest",
        "exclude_fields": [
            "secret_digest",
            "rating_digest",
            "resident_name_encrypted",
            "resident_phone_encrypted",
            "created_at",
        ],
    },
    {"model": "health.Rubric", "exclude_fields": ["updated_at"]},
    {"model": "health.HealthCheck", "exclude_fields": ["rubric_snapshot", "computed_at", "updated_at"]},
)
AUDITLOG_MASK_CALLABLE = "core.masking.mask_phone"
# No correlation id from a client's header: nothing the client chooses is written to the log.
AUDITLOG_CID_HEADER = None
# Behind N trusted reverse proxies, the client is the N-th address from the right of
# X-Forwarded-For; with 0 (the default) the header is ignored and REMOTE_ADDR is logged.
AUDIT_TRUSTED_PROXIES = env.int("AUDIT_TRUSTED_PROXIES", default=0)

# Security (docs/SECURITY.md). Log-in lockout with django-axes: failures are counted per typed
# identifier (username, phone or ID number) AND client IP together, so that one attacker cannot lock
# a whole office behind one address out; a locked log-in answers 429 "登录失败次数过多，请 N 分钟后再试".
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_MINUTES", default=15) / 60  # hours, as a float
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Beside it, one address is locked out after this many failures within the cool-off, whatever the
# identifiers tried (credential stuffing); high enough for an office's members behind one address.
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=30)
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "partysite.security.typed_username"
AXES_CLIENT_IP_CALLABLE = "core.http.client_ip"
AXES_LOCKOUT_CALLABLE = "partysite.security.lockout_response"
# The cache holds the rate limiters' counters (core/ratelimit.py): Redis shared by every
# process with REDIS_URL, else each process's memory. The limiters let requests through when Redis is down.
REDIS_SESSION_ENGINE = "core.sessions"


def redis_caches(url: str) -> dict:
    """``CACHES`` with Redis at ``url`` (also the check-in benchmark's, bench/checkin_setup.py)."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "partysite",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
    # Sessions read from Redis, kept in the database (one round trip less per request; still
    # working on the database alone when Redis is down). Tests pin the database engine.
    SESSION_ENGINE = REDIS_SESSION_ENGINE
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "partysite"}}
# 党费 (docs/rules/dues.md; 关于中国共产党党费收缴、使用和管理的规定, 2008): the monthly due of students,
# the unemployed and members on relief, the farmers' due where no branch set one (within 0.20-1.00),
# the voluntary payment flagged as going whole to the Centre, the months dues may be paid late.
DUES_FLAT_AMOUNT = env.str("DUES_FLAT_AMOUNT", default="0.20")
DUES_FARMER_DEFAULT = env.str("DUES_FARMER_DEFAULT", default="0.20")
DUES_LARGE_VOLUNTARY = env.str("DUES_LARGE_VOLUNTARY", default="1000")
DUES_MAX_DELAY_MONTHS = env.int("DUES_MAX_DELAY_MONTHS", default=6)
# A member holding a managing position activates their account with a one-time code (members/services.py).
ACTIVATION_CODE_HOURS = env.int("ACTIVATION_CODE_HOURS", default=72)
# (requests, seconds) per user (anonymous: per IP). Activation counts every attempt, per IP, before it
# runs, and gives back the count of a successful one (core/ratelimit.py ``counts``).
RATE_LIMITS = {
    "check_in": (env.int("RATE_LIMIT_CHECK_IN", default=30), 60),
    "activate": (env.int("RATE_LIMIT_ACTIVATE", default=10), 600),
    # ID numbers not found or outside the user's scope (imports, member creation), per user and hour.
    "member_lookup": (env.int("RATE_LIMIT_MEMBER_LOOKUP", default=200), 3600),
    # The residents' request form (service/views_public.py), per client IP and per phone number, per day;
    # looking a request up by receipt number and secret, per client IP and hour.
    "service_ask": (env.int("RATE_LIMIT_SERVICE_ASK", default=20), 86400),
    "service_ask_phone": (env.int("RATE_LIMIT_SERVICE_ASK_PHONE", default=3), 86400),
    "service_track": (env.int("RATE_LIMIT_SERVICE_TRACK", default=30), 3600),
}

# 在职党员报到 and the residents' requests (docs/rules/service.md; local practice, configurable):
# a registration is current while confirmed within this many months; a dispatched request not accepted
# within this many hours returns to the pool; a rating at or below this reopens the request; the most
# hours one completion may record.
SERVICE_RENEWAL_MONTHS = env.int("SERVICE_RENEWAL_MONTHS", default=6)
SERVICE_DISPATCH_HOURS = env.int("SERVICE_DISPATCH_HOURS", default=48)
SERVICE_REOPEN_RATING = env.int("SERVICE_REOPEN_RATING", default=2)
SERVICE_MAX_HOURS = env.int("SERVICE_MAX_HOURS", default=24)
# Photos with a resident's request, and with its completion: at most this many each, each at most this size.
SERVICE_MAX_PHOTOS = env.int("SERVICE_MAX_PHOTOS", default=3)
SERVICE_PHOTO_MAX_BYTES = env.int("SERVICE_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
