"""The one module that reads the environment.

Development defaults run on an embedded SQLite file with no set-up. In production
(``PORTAL_ENV=production``) the app refuses to start without its secrets from the environment.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Development-only keys: visibly fake, never accepted in production (see `check_production`).
DEV_SECRET_KEY = "dev-only-secret-key-not-for-production"
DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzJieXRlcyE="  # base64 of 32 bytes
DEV_LOOKUP_KEY = "dev-only-lookup-hash-key"


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


class Config:
    PORTAL_ENV = os.environ.get("PORTAL_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
    # Fernet keys, newest first; older keys still decrypt so keys can be rotated.
    ENCRYPTION_KEYS = _env_list("ENCRYPTION_KEYS") or [DEV_ENCRYPTION_KEY]
    # Key of the HMAC that makes BSNs findable without storing them in the clear.
    LOOKUP_KEY = os.environ.get("LOOKUP_KEY") or DEV_LOOKUP_KEY
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'portal.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Demo mode shows demo accounts and their current TOTP code on the sign-in page.
    DEMO = os.environ.get("PORTAL_DEMO") == "1"

    # Notices to partners' contact addresses (portal/mail.py): plain SMTP, STARTTLS when set.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "privacyportaal@localhost")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")
    MAIL_TIMEOUT = 10  # seconds; a slow server must not hold a request for long

    # Packages built on `portal`, loaded by name so that `portal` never imports them (DESIGN.md).
    DOMAIN_PACKAGES = ("consent", "requests")

    # Letters (portal/letters): how long the one-time sign-in code on a letter works, where its
    # QR link points (the citizen portal), and the function that lists what is shared about a
    # person for the information letter, named so that `portal` never imports `consent`.
    LETTER_CODE_DAYS = int(os.environ.get("LETTER_CODE_DAYS", "60"))
    CITIZEN_PORTAL_URL = os.environ.get("CITIZEN_PORTAL_URL", "http://127.0.0.1:5000")
    LETTER_SHARING_SOURCE = "consent.letters:sharing_rows"

    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"  # shown and entered in local time, stored in UTC
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = ("nl", "en")

    SESSION_COOKIE_HTTPONLY = True
    # Lax, not Strict: DigiD's broker sends the person back with a top-level GET from its own
    # site, and the sign-in's state and nonce are in this cookie. Every change is a POST with a
    # CSRF token.
    SESSION_COOKIE_SAMESITE = "Lax"
    # In production also forced by portal/security.py, with a `__Host-` cookie name.
    SESSION_COOKIE_SECURE = PORTAL_ENV == "production"
    REMEMBER_COOKIE_DURATION = 0
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the session itself expires after the idle timeout

    IDLE_TIMEOUT_MINUTES = 15
    # The longest a staff or citizen session lasts, however active (OWASP ASVS 3.3.2, level 2:
    # 12 hours).
    SESSION_MAX_HOURS = 12
    # How long the browser keeps the session cookie after the last request. Longer than the idle
    # timeout, which the server checks itself (`last_seen`): a form sent after the timeout then
    # still arrives with its session, so the person is told why and nothing typed is lost.
    SESSION_COOKIE_MINUTES = 120
    # Where a citizen page sends someone who is not signed in (the citizen portal's sign-in page).
    CITIZEN_LOGIN_ENDPOINT = "citizen.sign_in"

    # DigiD through an OpenID Connect broker (portal/oidc.py). Without an issuer the citizen portal
    # offers only the code from a letter (and, in demo mode, the DigiD mock).
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").rstrip("/")
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
    # The claim that carries the BSN; a dotted path reaches into a nested claim.
    OIDC_BSN_CLAIM = os.environ.get("OIDC_BSN_CLAIM", "bsn")
    OIDC_SCOPE = os.environ.get("OIDC_SCOPE", "openid")
    # client_secret_basic or client_secret_post, as the broker expects.
    OIDC_TOKEN_AUTH_METHOD = os.environ.get("OIDC_TOKEN_AUTH_METHOD", "client_secret_basic")
    # Where the broker sends the person back; by default this app's own callback URL.
    OIDC_REDIRECT_URI = os.environ.get("OIDC_REDIRECT_URI", "")
    OIDC_TIMEOUT = float(os.environ.get("OIDC_TIMEOUT", "10"))  # seconds per call to the broker
    LOGIN_MAX_FAILURES = 5  # per account, then locked
    LOGIN_LOCKOUT_MINUTES = 15
    LOGIN_RATE_LIMIT = 20  # attempts per address per window
    LOGIN_RATE_WINDOW_MINUTES = 5
    TOTP_ISSUER = "Regieteams Nijmegen"
    ARGON2_FAST = False  # tests switch to cheap hashing parameters


MIN_SECRET_LENGTH = 32


def _valid_fernet_key(key: str) -> bool:
    # A malformed key would only fail at the first encryption, as an error page; refuse to start.
    from cryptography.fernet import Fernet

    try:
        Fernet(key)
    except (ValueError, TypeError):
        return False
    return True


def check_production(config) -> None:
    """Refuse to run in production with development, short or malformed secrets, or in demo mode.
    The error names the setting, never its value."""
    if config.get("PORTAL_ENV") != "production":
        return
    missing = []
    # Secrets short enough to guess are as good as missing (signing the session cookie, the keyed
    # BSN hash); 32 characters of a random value is what `python -c "import secrets;
    # print(secrets.token_urlsafe(32))"` gives.
    for name, dev_value in (("SECRET_KEY", DEV_SECRET_KEY), ("LOOKUP_KEY", DEV_LOOKUP_KEY)):
        value = config.get(name) or ""
        if value == dev_value or len(value) < MIN_SECRET_LENGTH:
            missing.append(name)
    keys = config.get("ENCRYPTION_KEYS") or []
    if not keys or DEV_ENCRYPTION_KEY in keys or not all(_valid_fernet_key(key) for key in keys):
        missing.append("ENCRYPTION_KEYS")
    missing.sort(key=["SECRET_KEY", "ENCRYPTION_KEYS", "LOOKUP_KEY"].index)
    if missing:
        raise RuntimeError(
            "Production mode needs these settings from the environment: " + ", ".join(missing)
        )
    if config.get("DEMO"):
        raise RuntimeError("Demo mode (PORTAL_DEMO=1) is not allowed in production mode.")
    issuer = config.get("OIDC_ISSUER")
    if issuer and not issuer.startswith("https://"):
        raise RuntimeError("In production mode OIDC_ISSUER must be an https:// address.")
    if issuer and not (config.get("OIDC_CLIENT_ID") and config.get("OIDC_CLIENT_SECRET")):
        raise RuntimeError("DigiD (OIDC_ISSUER) needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.")
