"""Gapless numbers (contract, subscription and receipt numbers): one counter row per scope and
key (e.g. per project), incremented inside the transaction that uses the number, so that a
rolled-back transaction gives its number back and two concurrent ones never share one."""
import sqlalchemy as sa
from flask_appbuilder import Model


class NumberSequence(Model):
    __tablename__ = "number_sequence"
    scope = sa.Column(sa.String(40), primary_key=True)
    key = sa.Column(sa.Integer, primary_key=True)
    last = sa.Column(sa.Integer, nullable=False, default=0)
