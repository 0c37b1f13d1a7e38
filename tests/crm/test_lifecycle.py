"""The customer lifecycle (derived from opportunities, never typed in) and the stage hook by
which deals move opportunities: forward only, back only on a cancellation."""
import pytest
import sqlalchemy as sa

from app.core.errors import BusinessError
from app.crm.models import Customer, Opportunity
from app.crm.services import lifecycle, opportunities
from app.extensions import db
from tests.conftest import login
from tests.crm.helpers import employee, lookup, one_customer_of, project


def new_customer(name="测试客户", phone="13912340001", owner="E1003"):
    customer = Customer(kind="person", name=name, phone=phone, owner=employee(owner))
    db.session.add(customer)
    db.session.commit()
    return customer


def opportunity(customer, code, stage, owner="E1003"):
    opp = Opportunity(customer=customer, project=project(code), stage=stage, owner=employee(owner),
                      lost_reason=lookup("lost_reason", "价格因素") if stage == "lost" else None)
    db.session.add(opp)
    db.session.commit()
    return opp


def fresh_stage(customer_id):
    """The stage as a new request would read it (from the database, not the session)."""
    db.session.expire_all()
    return lifecycle.stage_of(db.session.get(Customer, customer_id))


# ---- derived lifecycle ----------------------------------------------------------------------

def test_lifecycle_is_the_highest_live_stage_of_the_opportunities(app, ctx):
    customer = new_customer()
    pk = customer.id
    assert fresh_stage(pk) == "potential"            # no opportunity yet
    opportunity(customer, "GZ-YJ", "potential")
    opportunity(customer, "SZ-HY", "intent")
    assert fresh_stage(pk) == "intent"
    opportunity(customer, "HZ-JY", "lost")             # lost: ignored
    assert fresh_stage(pk) == "intent"
    db.session.query(Opportunity).filter_by(customer_id=pk, project_id=project("GZ-YJ").id) \
        .update({"stage": "subscribed"})
    db.session.commit()
    assert fresh_stage(pk) == "subscribed"
    db.session.query(Opportunity).filter_by(customer_id=pk, project_id=project("SZ-HY").id).update({"stage": "won"})
    db.session.commit()
    assert fresh_stage(pk) == "owner"                  # won → 业主
    assert lifecycle.label("owner") and lifecycle.stages_of([pk]) == {pk: "owner"}


def test_only_lost_opportunities_leave_a_potential_customer(app, ctx):
    customer = new_customer()
    opportunity(customer, "GZ-YJ", "lost")
    opportunity(customer, "SZ-HY", "lost")
    assert fresh_stage(customer.id) == "potential"


def test_batch_and_counts_agree_with_each_customer(app, ctx):
    ids = [c.id for c in db.session.query(Customer).order_by(Customer.id).limit(60)]
    batch = lifecycle.stages_of(ids)
    assert set(batch) == set(ids)
    for pk in ids[:15]:
        stages = [s for (s,) in db.session.query(Opportunity.stage).filter_by(customer_id=pk) if s != "lost"]
        order = ["potential", "intent", "reserved", "subscribed", "signed", "won"]
        expected = max(stages, key=order.index) if stages else "potential"
        assert batch[pk] == ("owner" if expected == "won" else expected)
    counts = lifecycle.counts()
    assert sum(counts.values()) == db.session.query(Customer).count()
    assert counts["owner"] == db.session.query(sa.func.count(sa.distinct(Opportunity.customer_id))) \
        .filter(Opportunity.stage == "won").scalar()


def _rows(html):
    """The list's table body (not the filter form, which names every stage)."""
    start = html.index("table table-bordered table-hover")
    return html[start:html.index("</table>", start)]


def test_customer_list_shows_and_filters_the_lifecycle_stage(client, app):
    with app.app_context():
        owners = db.session.query(Customer).filter(lifecycle.condition("owner")).count()
        assert owners
    login(client, "admin")
    client.get("/lang/en")
    rows = _rows(client.get("/customerview/list/?psize_CustomerView=100").get_data(as_text=True))
    assert "Interested customer" in rows and "Potential customer" in rows
    html = client.get("/customerview/list/?_flt_0_lifecycle_rank=6&psize_CustomerView=100").get_data(as_text=True)
    assert "Record Count:</strong> %d" % owners in html
    rows = _rows(html)
    assert "Interested customer" not in rows and "Potential customer" not in rows
    assert rows.count("<td>Property owner</td>") == min(owners, 100)


# ---- the stage hook of deals ---------------------------------------------------------------

def test_advance_creates_then_moves_forward_never_back(app, ctx):
    customer = new_customer()
    gz = project("GZ-YJ").id
    opp, changed = opportunities.advance(customer.id, gz, "reserved", employee=employee("E1006"))
    db.session.commit()
    assert changed and opp.stage == "reserved" and opp.owner.number == "E1006" and opp.chance == 60
    opp, changed = opportunities.advance(customer.id, gz, "intent")
    db.session.commit()
    assert not changed and opp.stage == "reserved"
    opp, changed = opportunities.advance(customer.id, gz, "signed")
    db.session.commit()
    assert changed and opp.stage == "signed" and opp.chance == 95
    assert db.session.query(Opportunity).filter_by(customer_id=customer.id).count() == 1
    assert fresh_stage(customer.id) == "signed"


def test_advance_without_an_acting_salesperson_gives_it_to_the_customers_owner(app, ctx):
    customer = new_customer(owner="E1009")
    opp, _changed = opportunities.advance(customer.id, project("SZ-HY").id, "subscribed")
    db.session.commit()
    assert opp.owner.number == "E1009" and fresh_stage(customer.id) == "subscribed"


def test_advance_revives_a_lost_opportunity_and_won_makes_an_owner(app, ctx):
    customer = new_customer()
    lost = opportunity(customer, "GZ-YJ", "lost")
    opp, changed = opportunities.advance(customer.id, project("GZ-YJ").id, "won")
    db.session.commit()
    assert changed and opp.id == lost.id and opp.stage == "won" and opp.lost_reason_id is None
    assert fresh_stage(customer.id) == "owner"


def test_set_back_on_a_cancellation_goes_back_only(app, ctx):
    customer = new_customer()
    gz = project("GZ-YJ").id
    opportunities.advance(customer.id, gz, "subscribed")
    db.session.commit()
    opp, changed = opportunities.set_back(customer.id, gz, "intent")   # the subscription was cancelled
    db.session.commit()
    assert changed and opp.stage == "intent" and opp.chance == 30
    opp, changed = opportunities.set_back(customer.id, gz, "signed")   # never forward
    db.session.commit()
    assert not changed and opp.stage == "intent"
    assert opportunities.set_back(customer.id, project("SZ-HY").id, "intent") == (None, False)
    assert fresh_stage(customer.id) == "intent"


def test_reopen_brings_a_lost_opportunity_back(app, ctx):
    customer = new_customer()
    lost = opportunity(customer, "GZ-YJ", "lost")
    opportunities.reopen(lost)
    db.session.commit()
    assert lost.stage == "intent" and lost.lost_reason_id is None
    with pytest.raises(BusinessError):
        opportunities.reopen(lost)


def test_bad_stage_or_customer_is_refused_and_changes_nothing(app, ctx):
    customer = one_customer_of("E1003")
    before = db.session.query(Opportunity).order_by(Opportunity.id).all()
    snapshot = [(o.id, o.stage) for o in before]
    for args in ((customer.id, project().id, "lost"), (customer.id, project().id, "bogus"),
                 (999999, project().id, "intent"), (customer.id, 999999, "intent")):
        with pytest.raises(BusinessError):
            opportunities.advance(*args)
        db.session.rollback()
    with pytest.raises(BusinessError):
        opportunities.set_back(customer.id, project().id, "lost")
    db.session.rollback()
    db.session.expire_all()
    assert [(o.id, o.stage) for o in db.session.query(Opportunity).order_by(Opportunity.id)] == snapshot
