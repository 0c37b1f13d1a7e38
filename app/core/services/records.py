"""Small questions every module asks of its records."""
from app.extensions import db


def taken(model, item, **values):
    """Whether another row of `model` than `item` already has these column values (checked
    before the flush, so that the user gets a message rather than a database error)."""
    query = db.session.query(model.id).filter(model.id != (item.id or 0))
    for column, value in values.items():
        query = query.filter(getattr(model, column) == value)
    return query.first() is not None
