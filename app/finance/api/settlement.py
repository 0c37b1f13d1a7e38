"""REST resource of area settlement (面积补差): /api/v1/settlements/.

  GET  /api/v1/settlements/<survey id>          the survey, its rule, totals and lines
  POST /api/v1/settlements/<survey id>/submit   {"reason": "…" (optional)} → 201 the approval request

Shares SettlementView's permissions (can_show, can_act). Answers: 404 unknown survey; 422 refused
by a rule (with the message); nothing changed on a refusal. Amounts and areas are strings."""
from flask import g, request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect

from app.core.errors import BusinessError
from app.extensions import db
from app.finance.services import settlement


def _text(value):
    return None if value is None else str(value)


def _line(line):
    return {"id": line.id, "room_id": line.room_id, "room": line.room.code, "deal_id": line.deal_id,
            "contract_gross": _text(line.contract_gross), "contract_inner": _text(line.contract_inner),
            "surveyed_gross": _text(line.surveyed_gross), "surveyed_inner": _text(line.surveyed_inner),
            "ratio_gross": _text(line.ratio_gross), "ratio_inner": _text(line.ratio_inner),
            "unit_price": _text(line.unit_price), "within_amount": _text(line.within_amount),
            "beyond_amount": _text(line.beyond_amount), "amount": _text(line.amount), "may_cancel": line.may_cancel,
            "receivable_id": line.receivable_id, "due_date": (lambda d: d.isoformat() if d else None)(
                settlement.deadline(line))}


def _survey(survey):
    t = settlement.totals(survey)
    return {"id": survey.id, "project_id": survey.project_id, "building_id": survey.building_id,
            "building": survey.building.name, "status": survey.status, "request_id": survey.request_id,
            "filename": survey.filename, "rule": survey.rule,
            "totals": {k: (str(v) if not isinstance(v, int) else v) for k, v in t.items()},
            "lines": [_line(l) for l in survey.lines]}


class SettlementApi(BaseApi):
    resource_name = "settlements"
    allow_browser_login = True
    class_permission_name = "SettlementView"
    method_permission_name = {"get": "show", "submit": "act"}
    base_permissions = ["can_list", "can_show", "can_act"]  # the page's: one set of grants for both
    openapi_spec_tag = "Area settlement"

    def _get(self, pk):
        try:
            return settlement.get_survey(pk), None
        except settlement.NotFound as e:
            return None, self.response(404, message=str(e))

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One survey with its lines."""
        survey, missing = self._get(pk)
        if missing is not None:
            return missing
        return self.response(200, **_survey(survey))

    @expose("/<pk>/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self, pk):
        """Send the survey for a manager's approval."""
        survey, missing = self._get(pk)
        if missing is not None:
            return missing
        payload = request.get_json(silent=True)
        reason = payload.get("reason") if isinstance(payload, dict) else None
        try:
            req = settlement.submit(survey, g.user, str(reason)[:1000] if reason else None)
        except BusinessError as e:
            db.session.rollback()
            return self.response(422, message=str(e))
        return self.response(201, id=req.id, kind=req.kind, status=req.status, summary=req.summary)
