"""Release batches (推盘批次): rooms go on sale in named batches — 首开, then 加推一, 加推二…"""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited


class ReleaseBatch(Audited, Model):
    """One release (推盘/加推) of a project: the rooms it moved from unreleased to available."""

    __tablename__ = "release_batch"
    __table_args__ = (sa.UniqueConstraint("project_id", "name", name="uq_release_batch_name"),)
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    name = sa.Column(sa.String(50), nullable=False)
    release_date = sa.Column(sa.Date, nullable=False)
    note = sa.Column(sa.String(500))

    def __str__(self):
        return self.name

    # (rooms, gross area, still available): filled for a whole page at once by the list's data
    # interface (no query per row); computed on its own for a single batch.
    _figures = None

    def figures(self):
        if self._figures is None:
            from app.inventory.models import Room
            session = sa.orm.object_session(self)
            row = session.query(sa.func.count(Room.id), sa.func.coalesce(sa.func.sum(Room.area_gross), 0),
                                sa.func.sum(sa.case((Room.status == "available", 1), else_=0))) \
                .filter(Room.release_batch_id == self.id).one() if session is not None and self.id else (0, 0, 0)
            self._figures = (row[0], row[1], row[2] or 0)
        return self._figures

    @property
    def rooms_count(self):
        return self.figures()[0]

    @property
    def rooms_area(self):
        return self.figures()[1]

    @property
    def available_count(self):
        return self.figures()[2]
