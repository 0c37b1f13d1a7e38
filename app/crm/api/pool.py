"""The public pool over REST: GET /api/v1/crm/pool/ (what may be claimed, phones masked),
POST /api/v1/crm/pool/<opportunity id>/claim and POST /api/v1/crm/pool/<opportunity id>/release
({"reason": "..."} optional). Permissions are the page's (PoolView: can_list, can_claim,
can_release). Refusals: 403 (not yours), 404 (no such opportunity), 409 (someone else has it),
422 (a rule: the daily limit, the stage…), with the message."""
from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.core.api import paging
from app.core.crypto import mask
from app.core.errors import BusinessError
from app.crm.services import pool as pool_service
from app.crm.services import scope
from app.crm.views.pool import PoolView
from app.extensions import db


def _iso(value):
    return value.isoformat() if value else None


def serialize(opp):
    return {
        "id": opp.id, "customer_id": opp.customer_id, "customer": opp.customer.name,
        "phone": mask(opp.customer.phone) if opp.customer.phone else None,
        "project_id": opp.project_id, "project": opp.project.name,
        "grade_id": opp.grade_id, "grade": opp.grade.name if opp.grade else None, "stage": opp.stage,
        "owner_id": opp.owner_id, "pooled_at": _iso(opp.pooled_at),
        "previous_owner_id": opp.pooled_from_id, "previous_owner": opp.pooled_from.name if opp.pooled_from else None,
        "last_contact_at": _iso(opp.last_contact_at or opp.created_at),
    }


def _id(name):
    value = request.args.get(name)
    if value in (None, ""):
        return None
    if not value.isdigit() or int(value) >= 2 ** 31:
        raise BusinessError(_("%(name)s must be an id.", name=name))
    return int(value)


class PoolApi(BaseApi):
    resource_name = "crm-pool"
    route_base = "/api/v1/crm/pool"
    class_permission_name = "PoolView"
    base_permissions = PoolView.base_permissions
    method_permission_name = {"get_list": "list", "claim": "claim", "release": "release"}
    allow_browser_login = True
    openapi_spec_tag = "Public pool"

    def _refused(self, error):
        db.session.rollback()
        return self.response(getattr(error, "status", 422), message=str(error))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The pool, newest first (?project_id=&grade_id=&stage=&q=&page=0&page_size=20)."""
        try:
            page, page_size = paging()
            project_id, grade_id = _id("project_id"), _id("grade_id")
        except BusinessError as e:
            return self.response_400(message=str(e))
        stage = request.args.get("stage") or None
        if stage is not None and stage not in pool_service.RETURNABLE_STAGES:
            return self.response_400(message=_("Unknown stage."))
        query = pool_service.pool_query(scope.current_employee(), project_id=project_id, grade_id=grade_id,
                                        stage=stage, name=request.args.get("q"))
        total, rows = pool_service.page_of(query, page, page_size)
        return self.response(200, count=total, result=[serialize(o) for o in rows])

    @expose("/<int:pk>/claim", methods=["POST"])
    @protect()
    @safe
    def claim(self, pk):
        """Claim an opportunity from the pool: it (and its customer, if they have no owner) is yours."""
        try:
            result = pool_service.claim(pk)
        except BusinessError as e:
            return self._refused(e)
        opp = result.opportunity
        return self.response(200, id=opp.id, customer_id=opp.customer_id, owner_id=opp.owner_id,
                             customer_taken=result.customer_taken, claimed_today=result.claimed_today,
                             daily_limit=result.limit)

    @expose("/<int:pk>/release", methods=["POST"])
    @protect()
    @safe
    def release(self, pk):
        """Give an opportunity up to the pool ({"reason": "..."} optional)."""
        body = request.get_json(silent=True) if request.get_data() else {}
        if not isinstance(body, dict):
            return self.response_400(message=_("Send a JSON object, e.g. {\"reason\": \"...\"}."))
        reason = body.get("reason")
        if reason is not None and not isinstance(reason, str):
            return self.response_400(message=_("reason must be text."))
        try:
            opp = pool_service.release(pk, reason)
        except BusinessError as e:
            return self._refused(e)
        return self.response(200, id=opp.id, pooled_at=_iso(opp.pooled_at), customer_id=opp.customer_id)
