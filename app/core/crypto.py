"""Personal data at rest: Fernet encryption, a keyed hash (HMAC-SHA256) beside each
encrypted column for equality search and duplicate detection, and masking for display."""
import base64
import hashlib
import hmac
import re

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, has_app_context

_keys = {}


def _master_key():
    if has_app_context():
        key = current_app.config.get("LOUPAN_DATA_KEY")
        if key:
            _keys["master"] = key
            return key
    if "master" not in _keys:
        raise RuntimeError("LOUPAN_DATA_KEY is not configured")
    return _keys["master"]


def configure(key):
    _keys["master"] = key


def _derive(purpose):
    master = _master_key()
    digest = hmac.new(master.encode(), purpose.encode(), hashlib.sha256).digest()
    return digest


def _fernet():
    return Fernet(base64.urlsafe_b64encode(_derive("loupan-encryption")))


def encrypt(value):
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token):
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        return None


def normalize(value):
    """Phones and ID numbers compare without spaces, dashes or case."""
    return re.sub(r"[\s\-]", "", value or "").upper()


def blind_index(value):
    value = normalize(value)
    if not value:
        return None
    return hmac.new(_derive("loupan-blind-index"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def mask(value):
    """138****1234 for a mobile number, 4401**********1234 for an ID number."""
    value = normalize(value) if value else ""
    if not value:
        return ""
    if len(value) <= 4:
        return "*" * len(value)
    if len(value) <= 8:
        return value[:2] + "*" * (len(value) - 4) + value[-2:]
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


class EncryptedString(sa.types.TypeDecorator):
    """Stores Fernet ciphertext; Python sees the plain string."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return None
        return encrypt(normalize(value))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return decrypt(value)


def install_blind_index_listener(session_class):
    """Keep every <field>_hash column in step with its encrypted <field>, from one place."""

    @sa.event.listens_for(session_class, "before_flush")
    def _update_hashes(session, flush_context, instances):
        for obj in list(session.new) + list(session.dirty):
            fields = getattr(type(obj), "__encrypted_fields__", ())
            for field in fields:
                setattr(obj, field + "_hash", blind_index(getattr(obj, field)))
