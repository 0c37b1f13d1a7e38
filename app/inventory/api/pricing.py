"""REST resources of pricing: factors (read/write), price adjustments (read; POST makes one and
submits it for approval, like the re-price page) and their lines, and price history (read) —
with the pages' permissions."""
from flask import g, request
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.core.errors import BusinessError
from app.core.views.base import LoupanModelRestApi
from app.inventory.models.pricing import PriceAdjustment, PriceAdjustmentLine, PriceFactor, PriceHistory
from app.inventory.services import price_adjustment
from app.inventory.views.pricing import (PriceAdjustmentLineView, PriceAdjustmentView, PriceFactorView,
                                         PriceHistoryView)

PRICES = ["old_unit_price", "old_total_price", "old_floor_price", "new_unit_price", "new_total_price",
          "new_floor_price"]


class PriceFactorApi(LoupanModelRestApi):
    resource_name = "price_factors"
    datamodel = SQLAInterface(PriceFactor)
    permissions_of = PriceFactorView
    list_columns = show_columns = ["id", "project_id", "kind", "name", "method", "value", "building_id",
                                   "property_type_id", "floor_from", "floor_to", "ref_floor", "orientation_id",
                                   "view_id", "layout_id", "number_suffix", "active", "sort_order"]
    add_columns = edit_columns = ["project", "kind", "name", "method", "value", "building", "property_type",
                                  "floor_from", "floor_to", "ref_floor", "orientation", "view", "layout",
                                  "number_suffix", "rooms", "active", "sort_order"]


class PriceAdjustmentApi(LoupanModelRestApi):
    """POST {"project": id, "title": "…", "method": "percent"|"amount"|"factors", "value": "3",
    "rooms": [ids], "reason": "…"} → 201 with the adjustment and its approval request."""

    resource_name = "price_adjustments"
    datamodel = SQLAInterface(PriceAdjustment)
    permissions_of = PriceAdjustmentView
    list_columns = show_columns = ["id", "project_id", "title", "method", "value", "status", "reason",
                                   "room_count", "skipped_count", "approval_request_id", "requested_by_id",
                                   "created_at", "applied_at"]
    add_columns = ["project", "title", "method", "value", "reason"]

    def post_headless(self):
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self.response_400(message="Send a JSON object.")
        try:
            adjustment = price_adjustment.create(payload.get("project"), payload.get("rooms"), payload.get("method"),
                                                 payload.get("value"), payload.get("title"), g.user,
                                                 payload.get("reason"))
        except BusinessError as e:
            return self.response_422(message=str(e))
        return self.response(201, id=adjustment.id, status=adjustment.status,
                             approval_request_id=adjustment.approval_request_id,
                             room_count=adjustment.room_count, skipped_count=adjustment.skipped_count)

    def put_headless(self, pk):
        return self.response(405, message="Price adjustments change only through their approval.")

    def delete_headless(self, pk):
        return self.response(405, message="Price adjustments change only through their approval.")


class PriceAdjustmentLineApi(LoupanModelRestApi):
    resource_name = "price_adjustment_lines"
    datamodel = SQLAInterface(PriceAdjustmentLine)
    permissions_of = PriceAdjustmentLineView
    list_columns = show_columns = ["id", "adjustment_id", "room_id", "room.code"] + PRICES + ["skipped"]
    search_columns = ["adjustment", "room"]


class PriceHistoryApi(LoupanModelRestApi):
    resource_name = "price_history"
    datamodel = SQLAInterface(PriceHistory)
    permissions_of = PriceHistoryView
    list_columns = show_columns = ["id", "room_id", "room.code", "adjustment_id", "changed_by_id",
                                   "changed_at"] + PRICES
    search_columns = ["room", "adjustment", "changed_at"]
