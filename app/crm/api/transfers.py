"""Transfers over REST: POST /api/v1/crm/transfers/ {customer_ids, to_employee_id, reason} moves
customers as the page does; GET /api/v1/crm/transfers/ lists the history the user may see.
Permissions are the page's (CustomerTransferView: can_transfer, can_list)."""
from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.core.api import paging
from app.core.errors import BusinessError
from app.core.views.base import page_permissions
from app.crm.services import transfers as transfer_service
from app.crm.views.transfers import CustomerTransferView
from app.extensions import db


def _iso(value):
    return value.isoformat() if value else None


def serialize(row):
    return {
        "id": row.id, "batch": row.batch, "customer_id": row.customer_id, "customer": row.customer.name,
        "from_employee_id": row.from_employee_id,
        "from_employee": row.from_employee.name if row.from_employee else None,
        "to_employee_id": row.to_employee_id, "to_employee": row.to_employee.name, "reason": row.reason,
        "by_user_id": row.by_user_id, "by_user": row.by_user.username if row.by_user else None,
        "at": _iso(row.at), "opportunities_moved": row.opportunities_moved,
    }


def _int_or_none(value):
    if value in (None, ""):
        return None
    if not str(value).isdigit() or int(value) >= 2 ** 31:
        raise BusinessError(_("Ids are whole numbers."))
    return int(value)


class TransferApi(BaseApi):
    resource_name = "crm-transfers"
    route_base = "/api/v1/crm/transfers"
    class_permission_name = "CustomerTransferView"
    base_permissions = page_permissions(CustomerTransferView)
    method_permission_name = {"post": "transfer", "history": "list"}
    allow_browser_login = True
    openapi_spec_tag = "Customer transfers"

    def _refused(self, error):
        db.session.rollback()
        return self.response(getattr(error, "status", 422), message=str(error))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Transfer customers: {"customer_ids": [1, 2], "to_employee_id": 7, "reason": "..."}."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message=_("Send a JSON object with customer_ids, to_employee_id and reason."))
        ids = body.get("customer_ids")
        if not isinstance(ids, list) or any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
            return self.response_400(message=_("customer_ids must be a list of customer ids."))
        reason = body.get("reason")
        if reason is not None and not isinstance(reason, str):
            return self.response_400(message=_("reason must be text."))
        target = body.get("to_employee_id")
        if target is None or isinstance(target, bool) or not isinstance(target, (int, str)):
            return self.response_400(message=_("to_employee_id must be an employee id."))
        try:
            result = transfer_service.transfer(ids, target, reason)
        except BusinessError as e:  # pool.Refusal says which status (403, 404, 422)
            return self._refused(e)
        return self.response(200, batch=result.batch, customers=result.customers,
                             opportunities=result.opportunities, to_employee_id=result.to_employee.id)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def history(self):
        """Transfers the user may see, newest first (?customer_id=&batch=&page=0&page_size=20)."""
        try:
            page, page_size = paging()
            customer_id = _int_or_none(request.args.get("customer_id"))
        except BusinessError as e:
            return self.response_400(message=str(e))
        query = transfer_service.history_query(customer_id=customer_id, batch=request.args.get("batch") or None)
        total = query.order_by(None).count()
        rows = query.offset(page * page_size).limit(page_size).all()
        return self.response(200, count=total, result=[serialize(r) for r in rows])
