import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import column_property, relationship

from app.core.crypto import EncryptedString
from app.core.models import Audited, CustomFieldsMixin
from app.core.models.base import utcnow

CUSTOMER_KINDS = ("person", "company")
ID_TYPES = ("id_card", "passport", "hk_macau_permit", "taiwan_permit", "business_licence", "other")
GENDERS = ("male", "female")
# The customer's lifecycle (客户生命周期) across projects: 潜在客户, 意向客户, 临定客户, 认购客户,
# 签约客户, 业主. Never typed in: the highest stage of their opportunities (lost ones ignored; a
# won opportunity makes them an owner). Deals move opportunities (services.opportunities.advance),
# so deals reach the lifecycle through them.
LIFECYCLE = ("potential", "intent", "reserved", "subscribed", "signed", "owner")
# opportunity stage -> lifecycle rank (1-based position in LIFECYCLE); "lost" has none.
LIFECYCLE_RANKS = {"potential": 1, "intent": 2, "reserved": 3, "subscribed": 4, "signed": 5, "won": 6}


class Customer(Audited, CustomFieldsMixin, Model):
    """A person or company (客户), owned by one salesperson (an employee)."""

    __tablename__ = "customer"
    # A salesperson's list (owner, newest first) and everyone's (newest first) read an index.
    __table_args__ = (sa.Index("ix_customer_owner_created", "owner_id", "created_at"),
                      sa.Index("ix_customer_created_at", "created_at"))
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
    # The customer asked not to receive text messages (退订): every SMS send skips them.
    sms_opt_out = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    # The salesperson who owns the customer (私客); every list shows them (no query per row).
    owner_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"))
    owner = relationship("Employee", lazy="joined")
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    def __str__(self):
        return self.name


from app.crm.models.opportunity import Opportunity  # noqa: E402  (it names Customer by string only)


def lifecycle_rank_expression(customer_id):
    """SQL: the lifecycle rank of the customer whose id is `customer_id` (a column or value):
    the highest rank of their opportunities, 1 (potential) when they have none that counts."""
    rank = sa.case(LIFECYCLE_RANKS, value=Opportunity.stage, else_=None)
    return (sa.select(sa.func.coalesce(sa.func.max(rank), 1))
            .where(Opportunity.customer_id == customer_id)
            .correlate_except(Opportunity)
            .scalar_subquery())


# Read with the customer in the same statement (lists stay one query), never written.
Customer.lifecycle_rank = column_property(lifecycle_rank_expression(Customer.id))
