"""Data interfaces that order rooms naturally and load list figures in bulk."""
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.inventory.models import ReleaseBatch, Room
from app.inventory.services.release import batch_figures, natural_order


class RoomInterface(SQLAInterface):
    """Rooms sorted by code read naturally: 1单元-101 before 1单元-1001 (building order, unit
    order, floor, number), in either direction."""

    def apply_order_by(self, query, order_column, order_direction, aliases_mapping=None,
                       bypass_many_to_many=False, add_pk=False):
        # FAB builds related interfaces (filters, choices) from this class too: rooms only.
        if self.obj is Room and order_column in ("", "code") and order_direction in ("", "asc", "desc"):
            return query.order_by(*natural_order(order_direction or "asc"))
        return super().apply_order_by(query, order_column, order_direction, aliases_mapping=aliases_mapping,
                                      bypass_many_to_many=bypass_many_to_many, add_pk=add_pk)


class ReleaseBatchInterface(SQLAInterface):
    """Each page of batches comes with its rooms' count and area from one grouped query."""

    def query(self, *args, **kwargs):
        count, items = super().query(*args, **kwargs)
        if self.obj is not ReleaseBatch:
            return count, items
        figures = batch_figures([b.id for b in items if hasattr(b, "id")])
        for batch in items:
            if hasattr(batch, "_figures"):
                batch._figures = figures.get(batch.id, (0, 0, 0))
        return count, items
