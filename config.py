"""Loupan configuration: defaults here, secrets and local settings from the environment
and from instance/ (generated on first start, never committed)."""
import os

from flask_appbuilder.const import AUTH_DB

BASEDIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.environ.get("LOUPAN_INSTANCE_DIR", os.path.join(BASEDIR, "instance"))


def database_url(url=None):
    """Accept the usual postgres:// and postgresql:// spellings and use psycopg 3."""
    url = url or os.environ.get("DATABASE_URL") or (
        "sqlite:///" + os.path.join(INSTANCE_DIR, "loupan.db")
    )
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    APP_NAME = "Loupan 售楼管理"
    APP_THEME = ""
    SQLALCHEMY_DATABASE_URI = database_url()
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Secrets come from the environment or instance/secrets.json (see app/core/secrets.py).
    SECRET_KEY = os.environ.get("LOUPAN_SECRET_KEY")
    LOUPAN_DATA_KEY = os.environ.get("LOUPAN_DATA_KEY")

    # Migrations own the schema; roles are seeded by `flask loupan seed`.
    FAB_CREATE_DB = False
    # Permissions are synchronised by `flask loupan seed` (run by make run and on deploy),
    # not by every worker at start-up.
    FAB_UPDATE_PERMS = False
    AUTH_ROLE_ADMIN = "管理员"
    FAB_ADD_SECURITY_API = True
    FAB_API_SWAGGER_UI = True
    FAB_SECURITY_MANAGER_CLASS = "app.security.LoupanSecurityManager"
    FAB_INDEX_VIEW = "app.core.views.home.HomeView"
    FAB_BASE_TEMPLATE = "loupan/baselayout.html"

    AUTH_TYPE = AUTH_DB
    AUTH_USER_REGISTRATION = False
    AUTH_RATE_LIMITED = True
    RATELIMIT_ENABLED = True
    AUTH_RATE_LIMIT = os.environ.get("LOUPAN_LOGIN_RATE_LIMIT", "10 per 5 minute")
    RATELIMIT_STORAGE_URI = os.environ.get("LOUPAN_RATELIMIT_STORAGE", "memory://")
    FAB_PASSWORD_COMPLEXITY_ENABLED = True

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASEDIR, "translations")
    LANGUAGES = {
        "zh": {"flag": "cn", "name": "简体中文"},
        "en": {"flag": "gb", "name": "English"},
    }

    # Scheduler: the web process runs it only when asked (make run); production runs
    # `flask scheduler run` as its own process.
    LOUPAN_SCHEDULER_IN_PROCESS = os.environ.get("LOUPAN_SCHEDULER_IN_PROCESS") == "1"
    LOUPAN_APPROVAL_REMINDER_HOURS = int(os.environ.get("LOUPAN_APPROVAL_REMINDER_HOURS", "24"))
    # How often the approval reminder job looks for overdue requests.
    LOUPAN_APPROVAL_REMINDER_INTERVAL_MINUTES = int(os.environ.get("LOUPAN_APPROVAL_REMINDER_INTERVAL_MINUTES", "60"))
    # Cron schedules are read in this time zone; interval schedules count from its midnight.
    LOUPAN_SCHEDULER_TIMEZONE = os.environ.get("LOUPAN_SCHEDULER_TIMEZONE", "Asia/Shanghai")
    # The active scheduler renews its lease every HEARTBEAT seconds; another process takes
    # over when it has not for LEASE seconds (keep LEASE at least twice HEARTBEAT).
    LOUPAN_SCHEDULER_HEARTBEAT_SECONDS = int(os.environ.get("LOUPAN_SCHEDULER_HEARTBEAT_SECONDS", "15"))
    LOUPAN_SCHEDULER_LEASE_SECONDS = int(os.environ.get("LOUPAN_SCHEDULER_LEASE_SECONDS", "60"))
    # A fire that comes later than this (process suspended, overloaded) is left to the catch-up.
    LOUPAN_SCHEDULER_MISFIRE_GRACE_SECONDS = int(os.environ.get("LOUPAN_SCHEDULER_MISFIRE_GRACE_SECONDS", "300"))

    LOUPAN_BACKUP_DIR = os.environ.get("LOUPAN_BACKUP_DIR", os.path.join(BASEDIR, "backups"))

    # Text messages (短信群发). LOUPAN_SMS_GATEWAY: "outbox" (the default: nothing leaves the
    # building, messages are kept in the outbox admins read) or "http": each message is POSTed as
    # JSON {"phone", "text", "ref"} to LOUPAN_SMS_URL with "Authorization: Bearer LOUPAN_SMS_KEY",
    # waiting at most LOUPAN_SMS_TIMEOUT seconds; a 2xx answer with a JSON "id" is success.
    # A send of at most LOUPAN_SMS_SYNC_LIMIT messages goes out at once; a bigger one is sent by the
    # job crm_sms_dispatch (every minute). One send reaches at most LOUPAN_SMS_MAX_RECIPIENTS customers.
    LOUPAN_SMS_GATEWAY = os.environ.get("LOUPAN_SMS_GATEWAY", "outbox")
    LOUPAN_SMS_URL = os.environ.get("LOUPAN_SMS_URL", "")
    LOUPAN_SMS_KEY = os.environ.get("LOUPAN_SMS_KEY", "")
    LOUPAN_SMS_TIMEOUT = float(os.environ.get("LOUPAN_SMS_TIMEOUT", "5"))
    LOUPAN_SMS_SYNC_LIMIT = int(os.environ.get("LOUPAN_SMS_SYNC_LIMIT", "200"))
    LOUPAN_SMS_MAX_RECIPIENTS = int(os.environ.get("LOUPAN_SMS_MAX_RECIPIENTS", "20000"))

    # The largest request body (uploads); above it the page says so (app/errors.py) instead of
    # reading it. Excel imports refuse files above LOUPAN_IMPORT_MAX_BYTES before reading them.
    MAX_CONTENT_LENGTH = int(os.environ.get("LOUPAN_MAX_UPLOAD_MB", "25")) * 1024 * 1024
    LOUPAN_IMPORT_MAX_BYTES = int(os.environ.get("LOUPAN_IMPORT_MAX_MB", "20")) * 1024 * 1024
    LOUPAN_IMPORT_MAX_ROWS = int(os.environ.get("LOUPAN_IMPORT_MAX_ROWS", "20000"))
    # Checked and imported in a background thread; True runs the work inside the request (tests).
    LOUPAN_IMPORT_SYNC = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-for-the-loupan-test-suite-only"
    LOUPAN_DATA_KEY = "dGVzdC1kYXRhLWtleS10ZXN0LWRhdGEta2V5LTAxMjM0NTY="
    RATELIMIT_ENABLED = False
    LOUPAN_SCHEDULER_IN_PROCESS = False
