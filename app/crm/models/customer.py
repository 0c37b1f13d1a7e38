import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.crypto import EncryptedString
from app.core.models import Audited, CustomFieldsMixin
from app.core.models.base import utcnow

CUSTOMER_KINDS = ("person", "company")
ID_TYPES = ("id_card", "passport", "hk_macau_permit", "taiwan_permit", "business_licence", "other")
GENDERS = ("male", "female")


class Customer(Audited, CustomFieldsMixin, Model):
    """A person or company (客户), owned by one salesperson (an employee)."""

    __tablename__ = "customer"
    __custom_entity__ = "customer"
    __encrypted_fields__ = ("phone", "phone2", "id_number")
    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(10), nullable=False, default="person")
    name = sa.Column(sa.String(100), nullable=False)
    phone = sa.Column(EncryptedString)
    phone_hash = sa.Column(sa.String(64), index=True)
    phone2 = sa.Column(EncryptedString)
    phone2_hash = sa.Column(sa.String(64), index=True)
    id_type = sa.Column(sa.String(20))
    id_number = sa.Column(EncryptedString)
    id_number_hash = sa.Column(sa.String(64), index=True)
    gender = sa.Column(sa.String(10))
    age_band_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    age_band = relationship("LookupValue", foreign_keys=[age_band_id])
    address = sa.Column(sa.String(200))
    region_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    region = relationship("LookupValue", foreign_keys=[region_id], lazy="joined")
    occupation_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    occupation = relationship("LookupValue", foreign_keys=[occupation_id])
    family_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    family = relationship("LookupValue", foreign_keys=[family_id])
    source_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    source = relationship("LookupValue", foreign_keys=[source_id], lazy="joined")
    level_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    level = relationship("LookupValue", foreign_keys=[level_id], lazy="joined")
    tags = sa.Column(sa.String(200))
    notes = sa.Column(sa.Text)
    # The salesperson who owns the customer (私客); every list shows them (no query per row).
    owner_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"), index=True)
    owner = relationship("Employee", lazy="joined")
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    def __str__(self):
        return self.name
