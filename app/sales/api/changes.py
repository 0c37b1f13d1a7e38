"""REST resource of the deal changes that go through approval: /api/v1/deal_changes/.

  POST /api/v1/deal_changes/<deal id>/rename       {"buyers": [{"customer": 40, "share": "50"}, …],
                                                    "reason": 12, "note": "…"}
  POST /api/v1/deal_changes/<deal id>/change_room  {"room": 57, "note": "…"}
  GET  /api/v1/deal_changes/<deal id>/change_room?room=57   the price difference, nothing asked
  POST /api/v1/deal_changes/<deal id>/cancel       {"reason": 14, "paid": "50000.00" (optional: the deposit),
                                                    "refund": "30000.00", "note": "…"}

"reason" is a value of the lookup list rename_reason or cancel_reason. Answers: 201 with the
approval request ({"id", "kind", "status", "summary"}); 400 malformed body; 404 unknown or
foreign deal or room; 409 another request is pending for the deal (or the target room), or the
target room is taken; 422 refused by a rule."""
from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.crm.services import scope
from app.sales.api.deals import Malformed, _amount, _body, _buyers, _id, _int, _is_id, _text, run_step
from app.sales.services import deal_changes, deals


def _as_dict(req):
    return {"id": req.id, "kind": req.kind, "status": req.status, "summary": req.summary,
            "deal_id": int(req.target_id)}


def _optional_amount(payload, key):
    return None if payload.get(key) is None else _amount(payload, key)


class DealChangeApi(BaseApi):
    resource_name = "deal_changes"
    allow_browser_login = True
    class_permission_name = "DealChangeView"
    method_permission_name = {"rename": "request", "change_room": "request", "preview": "request",
                              "cancel": "request"}
    base_permissions = ["can_request"]
    openapi_spec_tag = "Deal changes"

    def _run(self, action, status=201):
        def answer(result):
            if status == 201:
                return self.response(201, **_as_dict(result))
            return self.response(status, **result)
        return run_step(self, action, answer, conflicts=(deal_changes.Pending,))

    def _deal(self, pk):
        pk = _int(pk)
        if not _is_id(pk):
            raise deals.NotFound(_("There is no such deal."))
        return deals.get_deal(pk)

    @expose("/<pk>/rename", methods=["POST"])
    @protect()
    @safe
    def rename(self, pk):
        """Ask to change the deal's buyers (更名)."""
        def act():
            p = _body()
            deal = self._deal(pk)
            if not isinstance(p.get("buyers"), list):
                raise Malformed(_("“buyers” must be a list such as [{\"customer\": 40, \"share\": \"100\"}]."))
            return deal_changes.request_rename(deal, _buyers(p), _id(p, "reason"), _text(p, "note"),
                                               user=scope.acting_user())
        return self._run(act)

    @expose("/<pk>/change_room", methods=["POST"])
    @protect()
    @safe
    def change_room(self, pk):
        """Ask to move the deal to another available room of the project (换房)."""
        def act():
            p = _body()
            deal = self._deal(pk)
            room = deals.get_room(_id(p, "room"))
            return deal_changes.request_room_change(deal, room.id, _text(p, "note"), user=scope.acting_user())
        return self._run(act)

    @expose("/<pk>/change_room", methods=["GET"])
    @protect()
    @safe
    def preview(self, pk):
        """The price difference of moving the deal to ?room=ID (nothing is asked)."""
        def act():
            deal = self._deal(pk)
            room_id = _int(request.args.get("room"))
            if not _is_id(room_id):
                raise Malformed(_("“%(key)s” must be a record id (a whole number).", key="room"))
            room, change = deal_changes.preview_room_change(deal, deals.get_room(room_id).id,
                                                            user=scope.acting_user())
            data = deal_changes.figures(change)
            data.update(deal_id=deal.id, room_id=room.id, room=room.code)
            return data
        return self._run(act, 200)

    @expose("/<pk>/cancel", methods=["POST"])
    @protect()
    @safe
    def cancel(self, pk):
        """Ask to cancel the deal (退房) with what was paid and what is refunded."""
        def act():
            p = _body()
            deal = self._deal(pk)
            return deal_changes.request_cancel(deal, _id(p, "reason"), _amount(p, "refund"),
                                               _optional_amount(p, "paid"), _text(p, "note"),
                                               user=scope.acting_user())
        return self._run(act)
