"""Room import jobs (批量导入): one uploaded Excel file, checked then imported in the background;
the page polls the row for its progress."""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models.base import utcnow

# uploaded → validating → invalid | valid → importing → done; failed when the file cannot be read.
IMPORT_STATUSES = ("validating", "invalid", "valid", "importing", "done", "failed")
RUNNING_STATUSES = ("validating", "importing")


class RoomImport(Model):
    __tablename__ = "room_import"
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    file_name = sa.Column(sa.String(255), nullable=False)
    # Where the upload is kept (under the instance folder) until the job is finished.
    stored_path = sa.Column(sa.String(500))
    status = sa.Column(sa.String(20), nullable=False, default="validating")
    total_rows = sa.Column(sa.Integer, nullable=False, default=0)
    rows_processed = sa.Column(sa.Integer, nullable=False, default=0)
    error_count = sa.Column(sa.Integer, nullable=False, default=0)
    # [{"row": 5, "column": "建筑面积", "value": "abc", "message": "..."}], at most MAX_STORED_ERRORS.
    errors = sa.Column(sa.JSON)
    # A problem with the whole file (not a spreadsheet, missing columns...), in the uploader's language.
    message = sa.Column(sa.String(2000))
    imported_count = sa.Column(sa.Integer, nullable=False, default=0)
    locale = sa.Column(sa.String(10))
    created_by_fk = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"), nullable=False)
    created_by = relationship("User", lazy="joined", foreign_keys=[created_by_fk])
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    finished_at = sa.Column(sa.DateTime)
    # When the cleanup job (imports.remove_old_files) deleted the stored upload; the row stays.
    file_removed_at = sa.Column(sa.DateTime)

    def __str__(self):
        return self.file_name
