"""The customer lifecycle (客户生命周期): 潜在客户 → 意向客户 → 临定客户 → 认购客户 → 签约客户 →
业主, across every project. Never typed in: derived in SQL from the customer's opportunities
(the highest stage; lost ones ignored; a won opportunity makes an owner). Deals reach it through
the opportunities they move (services.opportunities.advance / set_back).

`Customer.lifecycle_rank` (a column read with the customer, see models/customer.py) holds the
rank; `stage_of(customer)` and `stages_of(ids)` give the stage codes, `counts()` the figures of
a report."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.crm.models import Customer
from app.crm.models.customer import LIFECYCLE, LIFECYCLE_RANKS, lifecycle_rank_expression
from app.extensions import db

LABELS = {"potential": _l("Potential customer"), "intent": _l("Interested customer"),
          "reserved": _l("Reserved customer"), "subscribed": _l("Subscribed customer"),
          "signed": _l("Signed customer"), "owner": _l("Property owner")}
RANKS = {stage: n for n, stage in enumerate(LIFECYCLE, start=1)}


def stage_for_rank(rank):
    """The lifecycle stage of a rank (1 = potential … 6 = owner)."""
    try:
        return LIFECYCLE[int(rank) - 1]
    except (TypeError, ValueError, IndexError):
        return LIFECYCLE[0]


def stage_for_opportunity(stage):
    """The lifecycle stage an opportunity at `stage` stands for (None for a lost one)."""
    rank = LIFECYCLE_RANKS.get(stage)
    return LIFECYCLE[rank - 1] if rank else None


def label(stage):
    return str(LABELS.get(stage, stage or ""))


def label_of_rank(rank):
    """The formatter of the lifecycle column on lists and pages."""
    return label(stage_for_rank(rank))


def choices():
    """(rank, label) of every stage, in order: the filter's choices."""
    return [(str(RANKS[s]), label(s)) for s in LIFECYCLE]


def stage_of(customer):
    """The customer's lifecycle stage (a code of LIFECYCLE), from the rank loaded with them."""
    rank = customer.lifecycle_rank
    if rank is None and customer.id is not None:
        rank = db.session.execute(sa.select(lifecycle_rank_expression(customer.id))).scalar()
    return stage_for_rank(rank)


def stages_of(customer_ids):
    """{customer id: stage} for many customers, one query per 500 ids (reports)."""
    ids = [i for i in dict.fromkeys(customer_ids) if i is not None]
    result = {}
    for start in range(0, len(ids), 500):
        rows = db.session.execute(sa.select(Customer.id, Customer.lifecycle_rank)
                                  .where(Customer.id.in_(ids[start:start + 500])))
        result.update((pk, stage_for_rank(rank)) for pk, rank in rows)
    return result


def counts(condition=None):
    """{stage: number of customers} of the customers matching `condition` (a SQL condition on
    Customer, e.g. the user's scope), every stage present, in one grouped query."""
    rank = Customer.lifecycle_rank.expression
    query = sa.select(rank, sa.func.count()).select_from(Customer).group_by(rank)
    if condition is not None:
        query = query.where(condition)
    found = dict(db.session.execute(query).all())
    return {stage: found.get(n, 0) for stage, n in RANKS.items()}


def condition(stage):
    """SQL condition: customers at this lifecycle stage."""
    return Customer.lifecycle_rank == RANKS[stage]
