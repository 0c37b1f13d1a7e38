"""REST resource of complaints and service requests, with the pages' scope and rules:
GET /api/v1/service-requests/ (filters as FAB's `q`), GET /<id> (with its notes), POST / to
record one, POST /<id>/assign|start|notes|resolve|close|reopen for its steps.
Someone else's request: 403; a refusal of the rules: 422 with the message."""
from flask import request
from flask_babel import gettext as _
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.core.errors import BusinessError
from app.core.views.base import LoupanModelRestApi
from app.crm.models import ServiceRequest
from app.crm.services import service_requests as service
from app.crm.views.service import SCOPED, ServiceRequestView
from app.extensions import db

# Names of required relations only: Flask-AppBuilder joins a dotted column's relation with an
# inner join, which would drop the requests nobody is assigned to.
COLUMNS = ["id", "customer_id", "customer.name", "project_id", "kind", "type_id", "type.name", "content", "urgency",
           "status", "received_at", "received_by_id", "assigned_to_id", "assigned_at", "due_date", "resolution",
           "resolved_at", "satisfaction", "closed_at"]


class ServiceRequestApi(LoupanModelRestApi):
    resource_name = "service-requests"
    datamodel = SQLAInterface(ServiceRequest)
    permissions_of = ServiceRequestView
    base_filters = SCOPED
    include_route_methods = {"get", "get_list", "info", "post", "assign", "start", "notes", "resolve", "close",
                             "reopen"}
    method_permission_name = dict(LoupanModelRestApi.method_permission_name, assign="assign", start="handle",
                                  notes="handle", resolve="handle", close="close", reopen="close")
    list_columns = show_columns = COLUMNS
    add_columns = ["content"]
    search_columns = ["status", "urgency", "kind", "type", "assigned_to", "customer", "project", "received_at",
                      "due_date"]
    order_columns = ["id", "received_at", "due_date", "status", "urgency"]

    def _visible(self, pk):
        """(request, None) or (None, error response)."""
        try:
            item = service.get_visible(pk)
        except service.Refused as refusal:
            return None, self.response(403, message=str(refusal))
        if item is None:
            return None, self.response_404()
        return item, None

    def get_headless(self, pk, **kwargs):
        item, error = self._visible(pk)
        if error is not None:
            return error
        response = super().get_headless(pk, **kwargs)
        if response.status_code == 200:
            data = response.get_json()
            data["notes"] = [{"at": n.at.isoformat(), "action": n.action, "text": n.text, "detail": n.detail,
                              "employee_id": n.employee_id, "employee": n.employee.name if n.employee else None}
                             for n in service.notes_of(item)]
            response = self.response(200, **data)
        return response

    def _json(self):
        if not request.is_json or not isinstance(request.get_json(silent=True), dict):
            return None
        return request.get_json()

    def _step(self, pk, step):
        item, error = self._visible(pk)
        if error is not None:
            return error
        data = self._json()
        if data is None:
            return self.response_400(message=_("Send a JSON object."))
        try:
            step(item, data)
        except BusinessError as e:
            db.session.rollback()
            return self.response_422(message=str(e))
        return self.response(200, id=item.id, status=item.status)

    def post_headless(self):
        data = self._json()
        if data is None:
            return self.response_400(message=_("Send a JSON object."))
        try:
            item = service.record(data.get("customer_id"), data.get("kind"), data.get("type_id"),
                                  data.get("content"), urgency=data.get("urgency") or "normal",
                                  project_id=data.get("project_id"), due_date=data.get("due_date"),
                                  assigned_to_id=data.get("assigned_to_id"))
        except BusinessError as e:
            db.session.rollback()
            return self.response_422(message=str(e))
        return self.response(201, id=item.id, status=item.status)

    @expose("/<int:pk>/assign", methods=["POST"])
    @protect()
    @safe
    def assign(self, pk):
        return self._step(pk, lambda item, data: service.assign(item, data.get("employee_id")))

    @expose("/<int:pk>/start", methods=["POST"])
    @protect()
    @safe
    def start(self, pk):
        return self._step(pk, lambda item, data: service.start(item))

    @expose("/<int:pk>/notes", methods=["POST"])
    @protect()
    @safe
    def notes(self, pk):
        return self._step(pk, lambda item, data: service.add_note(item, data.get("text")))

    @expose("/<int:pk>/resolve", methods=["POST"])
    @protect()
    @safe
    def resolve(self, pk):
        return self._step(pk, lambda item, data: service.resolve(item, data.get("resolution")))

    @expose("/<int:pk>/close", methods=["POST"])
    @protect()
    @safe
    def close(self, pk):
        return self._step(pk, lambda item, data: service.close(item, data.get("satisfaction"), data.get("comment")))

    @expose("/<int:pk>/reopen", methods=["POST"])
    @protect()
    @safe
    def reopen(self, pk):
        return self._step(pk, lambda item, data: service.reopen(item, data.get("reason")))

