import sqlalchemy as sa
from flask_appbuilder import Model

from app.core.models.base import utcnow


class Notification(Model):
    """A message to one user in the notification centre."""

    __tablename__ = "notification"
    __table_args__ = (
        # The navbar's unread count: WHERE user_id = ? AND read_at IS NULL.
        sa.Index("ix_notification_user_unread", "user_id", "read_at"),
        # The notification centre, newest first.
        sa.Index("ix_notification_user_id", "user_id", "id"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"), nullable=False)
    title = sa.Column(sa.String(200), nullable=False)
    body = sa.Column(sa.String(2000))
    link = sa.Column(sa.String(500))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    read_at = sa.Column(sa.DateTime)

    def __str__(self):
        return self.title
