"""REST resources of text messages, with the pages' permissions and scope:

- GET  /api/v1/crm/sms/templates                 the active templates
- POST /api/v1/crm/sms/                          send: {"template_id": 1, "customer_ids": [..]} or
                                                 {"template_id": 1, "filter": {"project_id": .., "grade_id": ..,
                                                 "stage": "intent", "level_id": .., "source_id": .., "owner_id": ..,
                                                 "not_visited_days": 30}}; "project_id" at the top gives {项目}
                                                 for chosen customers; "dry_run": true answers the preview only
- POST /api/v1/crm/sms/opt-out/<customer id>     {"opt_out": true | false}
- GET  /api/v1/crm/sms/messages/                 the send log (the user's own; a supervisor's department's)
- GET  /api/v1/crm/sms/messages/<id>             one message
- GET  /api/v1/crm/sms/messages/<id>/recipients  its recipients (?page=0&page_size=100)

Errors: 400 for a malformed request, 403 for another salesperson's customer or message (logged),
404 for what does not exist, 422 for a refusal (an empty list, a bad template…), each with a message."""
from flask import g, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _

from app.core import personal_data
from app.core.errors import BusinessError
from app.core.views.base import LoupanModelRestApi, page_permissions
from app.crm.models import SmsMessage, SmsRecipient
from app.crm.services import sms as sms_service
from app.crm.views.sms import SCOPED, SmsMessageView, SmsView
from app.extensions import db

MAX_PAGE_SIZE = 500


class _Malformed(BusinessError):
    pass


def _refusal(api, error):
    db.session.rollback()
    if isinstance(error, sms_service.OutOfScope):
        return api.response(403, message=str(error))
    if isinstance(error, sms_service.NotFound):
        return api.response(404, message=str(error))
    if isinstance(error, _Malformed):
        return api.response_400(message=str(error))
    return api.response_422(message=str(error))


def _plan_json(plan):
    return {"found": plan.found, "to_send": plan.sendable, "skipped": plan.skipped,
            "skipped_opted_out": plan.opted_out, "skipped_no_phone": plan.no_phone,
            "samples": [{"customer_id": row["id"], "customer": row["name"], "phone": personal_data.shown(phone),
                         "text": text} for row, phone, text in plan.samples]}


def _message_json(message):
    return {"id": message.id, "created_at": message.created_at.isoformat(timespec="seconds"),
            "sender": message.sender_name, "template_id": message.template_id,
            "template": message.template.name if message.template else None, "project_id": message.project_id,
            "text": message.text, "filter": message.filter_description, "criteria": message.criteria,
            "gateway": message.gateway, "recipients": message.recipient_count, "sent": message.sent_count,
            "failed": message.failed_count, "skipped": message.skipped_count, "waiting": message.pending_count,
            "finished_at": message.finished_at.isoformat(timespec="seconds") if message.finished_at else None}


class SmsApi(BaseApi):
    """Templates, sending and opting out, with the compose page's permissions (SmsView)."""

    route_base = "/api/v1/crm/sms"
    resource_name = "crm-sms"
    allow_browser_login = True
    class_permission_name = "SmsView"
    base_permissions = page_permissions(SmsView)
    method_permission_name = {"templates": "send", "send": "send", "opt_out": "opt_out"}

    @expose("/templates", methods=["GET"])
    @protect()
    @safe
    def templates(self):
        """The active templates, with their placeholders and a sample rendering."""
        result = []
        for template in sms_service.active_templates():
            parts = sms_service.parse(template.content)
            result.append({"id": template.id, "name": template.name, "content": template.content,
                           "placeholders": [sms_service.PLACEHOLDERS[k][0] for _t, k in parts if k],
                           "sample": sms_service.render(parts, sms_service.SAMPLE)})
        return self.response(200, result=result, count=len(result))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def send(self):
        """Send (or, with "dry_run", preview) a message to chosen customers or a filter."""
        try:
            payload = request.get_json(silent=True)
            if not isinstance(payload, dict):
                raise _Malformed(_("Send a JSON object, e.g. {\"template_id\": 1, \"customer_ids\": [12]}."))
            ids, filters = payload.get("customer_ids"), payload.get("filter")
            if ids is not None and (not isinstance(ids, list) or not ids or not all(
                    isinstance(i, int) and not isinstance(i, bool) for i in ids)):
                raise _Malformed(_("\"customer_ids\" is a list of customer ids (whole numbers)."))
            if filters is not None and not isinstance(filters, dict):
                raise _Malformed(_("\"filter\" is an object, e.g. {\"project_id\": 1, \"not_visited_days\": 30}."))
            if ids and filters:
                raise _Malformed(_("Give either \"customer_ids\" or \"filter\", not both."))
            if not ids and filters is None:
                raise _Malformed(_("Give the recipients: \"customer_ids\" or \"filter\"."))
            unknown = set(filters or {}) - set(sms_service.Criteria.FILTERS)
            if unknown:
                raise _Malformed(_("Unknown filter %(names)s; use %(known)s.", names=", ".join(sorted(unknown))[:100],
                                   known=", ".join(sms_service.Criteria.FILTERS)))
            values = dict(filters or {})
            if ids and payload.get("project_id") is not None:
                values["project_id"] = payload.get("project_id")
            for key, value in values.items():
                if value is not None and not isinstance(value, (int, str)) or isinstance(value, bool):
                    raise _Malformed(_("The filter %(name)s has a wrong value.", name=key))
            criteria = sms_service.criteria_from(values, ids or ())
            if payload.get("dry_run"):
                plan = sms_service.plan(criteria, payload.get("template_id"))
                return self.response(200, **_plan_json(plan))
            message = sms_service.send(criteria, payload.get("template_id"), user=g.user)
        except BusinessError as e:
            return _refusal(self, e)
        return self.response(201, **_message_json(message))

    @expose("/opt-out/<pk>", methods=["POST"])
    @protect()
    @safe
    def opt_out(self, pk):
        """{"opt_out": true} the customer receives no more text messages; false: again."""
        payload = request.get_json(silent=True)
        value = payload.get("opt_out") if isinstance(payload, dict) else None
        if not isinstance(value, bool):
            return self.response_400(message=_("Send {\"opt_out\": true} or {\"opt_out\": false}."))
        try:
            customer = sms_service.set_opt_out(pk, value)
        except BusinessError as e:
            return _refusal(self, e)
        return self.response(200, id=customer.id, sms_opt_out=bool(customer.sms_opt_out))


class SmsMessageApi(LoupanModelRestApi):
    """The send log, scoped like its page."""

    route_base = "/api/v1/crm/sms/messages"
    resource_name = "crm-sms-messages"
    datamodel = SQLAInterface(SmsMessage)
    permissions_of = SmsMessageView
    base_filters = SCOPED
    base_order = ("created_at", "desc")
    list_columns = show_columns = ["id", "created_at", "sender_name", "template_id", "template.name", "project_id",
                                   "text", "filter_description", "gateway", "recipient_count", "sent_count",
                                   "failed_count", "skipped_count", "pending_count", "finished_at"]
    include_route_methods = {"get", "get_list", "info", "recipients"}
    method_permission_name = dict(LoupanModelRestApi.method_permission_name, recipients="show")

    def _refused(self, pk):
        try:
            sms_service.get_message(pk)
        except BusinessError as e:
            return _refusal(self, e)
        return None

    def get_headless(self, pk, **kwargs):
        return self._refused(pk) or super().get_headless(pk, **kwargs)

    @expose("/<int:pk>/recipients", methods=["GET"])
    @protect()
    @safe
    def recipients(self, pk):
        """The message's recipients, in order: customer, phone (masked unless the user may see it),
        status, why it was skipped or failed, the gateway's reference."""
        try:
            message = sms_service.get_message(pk)
            page = request.args.get("page", "0")
            size = request.args.get("page_size", "100")
            if not page.isdigit() or not size.isdigit() or not 0 < int(size) <= MAX_PAGE_SIZE:
                raise _Malformed(_("page is a whole number from 0 and page_size from 1 to %(max)d.",
                                   max=MAX_PAGE_SIZE))
            page, size = int(page), int(size)
        except BusinessError as e:
            return _refusal(self, e)
        query = db.session.query(SmsRecipient).filter(SmsRecipient.message_id == message.id)
        rows = query.order_by(SmsRecipient.id).offset(page * size).limit(size).all()
        return self.response(200, count=message.recipient_count, result=[{
            "id": r.id, "customer_id": r.customer_id, "customer": r.customer.name,
            "phone": personal_data.shown(r.phone), "text": r.text, "status": r.status, "skip_reason": r.skip_reason,
            "error": r.error, "gateway": r.gateway, "gateway_ref": r.gateway_ref,
            "sent_at": r.sent_at.isoformat(timespec="seconds") if r.sent_at else None} for r in rows])
