"""SMS gateways (短信网关): where a text message goes, chosen by LOUPAN_SMS_GATEWAY.

- "outbox" (the default): nothing leaves the building; each message is kept in the outbox that
  admins read (the recipient row itself, marked sent through the outbox).
- "http": POST {"phone", "text", "ref"} as JSON to LOUPAN_SMS_URL with the header
  "Authorization: Bearer <LOUPAN_SMS_KEY>", waiting at most LOUPAN_SMS_TIMEOUT seconds. A 2xx
  answer whose JSON has an "id" is success (the id is kept as the gateway's reference); anything
  else is a failure with its reason. Nothing here raises for a gateway that misbehaves.

A gateway is an object with `name` and `send(phone, text, ref) -> Result`."""
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from app.core.errors import BusinessError

GATEWAYS = ("outbox", "http")
MAX_ANSWER_BYTES = 64 * 1024


class GatewayNotConfigured(BusinessError):
    """LOUPAN_SMS_GATEWAY (or the HTTP gateway's URL) is not usable: nothing can be sent."""


@dataclass
class Result:
    ok: bool
    ref: str = None
    error: str = None
    # The gateway as a whole is not working (unreachable, timing out, refusing the key, failing
    # on its side): the next messages would fail the same way, so the dispatcher stops early.
    systemic: bool = False


class OutboxGateway:
    name = "outbox"

    def send(self, phone, text, ref):
        return Result(True, ref=ref)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A gateway that answers with a redirect has not accepted the message (and a POST must
    not turn into a GET elsewhere)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _excerpt(raw):
    text = (raw or b"").decode("utf-8", "replace").strip().replace("\n", " ")
    return text[:200]


class HttpGateway:
    name = "http"

    def __init__(self, url, key, timeout=5.0):
        self.url = url
        self.key = key or ""
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(self, phone, text, ref):
        body = json.dumps({"phone": phone, "text": text, "ref": ref}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
            "Authorization": "Bearer " + self.key, "User-Agent": "Loupan-SMS/1.0"})
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                status, raw = answer.status, answer.read(MAX_ANSWER_BYTES)
        except urllib.error.HTTPError as e:
            try:
                detail = _excerpt(e.read(MAX_ANSWER_BYTES))
            except Exception:  # noqa: BLE001 - the body of an error answer is only a detail
                detail = ""
            finally:
                e.close()
            if e.code in (401, 403):
                return Result(False, error=_("The gateway refused the key (HTTP %(status)d).", status=e.code),
                              systemic=True)
            # A server error or a redirect: the gateway as a whole is not taking messages.
            systemic = e.code >= 500 or 300 <= e.code < 400
            return Result(False, error=_("The gateway answered HTTP %(status)d: %(detail)s", status=e.code,
                                         detail=detail or "—"), systemic=systemic)
        except (TimeoutError, socket.timeout):
            return Result(False, error=_("The gateway did not answer within %(seconds)s seconds.",
                                         seconds=_seconds(self.timeout)), systemic=True)
        except urllib.error.URLError as e:
            if isinstance(e.reason, (TimeoutError, socket.timeout)):
                return Result(False, error=_("The gateway did not answer within %(seconds)s seconds.",
                                             seconds=_seconds(self.timeout)), systemic=True)
            return Result(False, error=_("The gateway could not be reached: %(reason)s", reason=str(e.reason)[:200]),
                          systemic=True)
        except (OSError, ValueError) as e:  # connection reset, bad status line…
            return Result(False, error=_("The gateway could not be reached: %(reason)s", reason=str(e)[:200]),
                          systemic=True)
        if not 200 <= status < 300:
            return Result(False, error=_("The gateway answered HTTP %(status)d: %(detail)s", status=status,
                                         detail=_excerpt(raw) or "—"))
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            data = None
        ref = data.get("id") if isinstance(data, dict) else None
        if ref is None or isinstance(ref, (dict, list, bool)) or str(ref).strip() == "":
            return Result(False, error=_("The gateway's answer has no message id: %(detail)s",
                                         detail=_excerpt(raw) or "—"))
        return Result(True, ref=str(ref).strip()[:100])


def _seconds(value):
    return ("%g" % value) if value else "0"


def configured(config=None):
    """The gateway named by the configuration; GatewayNotConfigured (with what to fix) when it
    cannot be used."""
    config = config or current_app.config
    name = (config.get("LOUPAN_SMS_GATEWAY") or "outbox").strip().lower()
    if name == "outbox":
        return OutboxGateway()
    if name != "http":
        raise GatewayNotConfigured(_("The SMS gateway “%(name)s” is unknown (LOUPAN_SMS_GATEWAY is outbox or "
                                     "http); ask an administrator.", name=name[:30]))
    url = (config.get("LOUPAN_SMS_URL") or "").strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise GatewayNotConfigured(_("The SMS gateway's address (LOUPAN_SMS_URL) is missing or not an http(s) "
                                     "address; ask an administrator."))
    try:
        timeout = float(config.get("LOUPAN_SMS_TIMEOUT") or 5)
    except (TypeError, ValueError):
        timeout = 5.0
    return HttpGateway(url, config.get("LOUPAN_SMS_KEY") or "", timeout=max(0.1, min(timeout, 60.0)))
