"""How the deal parts meet: finance reads every deal, a pending change shows on the deal page and
the room card (and its change buttons go), the chart names the queue number being served."""
import json
import re

from app.core.models import LookupValue
from app.extensions import db
from app.sales.services import deal_changes, deals, queue
from tests.conftest import login
from tests.sales.deal_helpers import as_user, available_rooms, customers_of, plan, project


def _subscribed(app):
    room = available_rooms()[0]
    with as_user(app, "sales"):
        deal = deals.subscribe(room, [(customers_of("E1003")[0], None)], plan("一次性付款"))
    return deal.id, room.id


def test_finance_reads_every_deal_but_acts_on_none(client, app, ctx):
    deal_id, _room = _subscribed(app)
    login(client, "finance")
    page = client.get("/sales/deals/%d" % deal_id)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "loupan-action-" not in html
    listing = client.get("/sales/deals/").get_data(as_text=True)
    assert "/sales/deals/%d" % deal_id in listing
    client.get("/logout/")
    login(client, "sales2")
    assert client.get("/sales/deals/%d" % deal_id).status_code in (302, 404)


def test_a_pending_change_shows_and_hides_the_change_buttons(client, app, ctx):
    deal_id, room_id = _subscribed(app)
    reason = db.session.query(LookupValue).filter_by(list_code="cancel_reason").order_by(LookupValue.id).first()
    with as_user(app, "sales"):
        deal_changes.request_cancel(deals.get_deal(deal_id), reason.id, "0")
    login(client, "sales")
    html = client.get("/sales/deals/%d" % deal_id).get_data(as_text=True)
    assert "loupan-deal-pending" in html and "loupan-action-cancel" not in html
    assert "loupan-action-sign" in html
    card = json.loads(client.get("/sales/chart/room/%d" % room_id).get_data(as_text=True))
    assert card["deal"]["pending"]
    assert {a["code"] for a in card["actions"]} == {"sign"}


def test_the_chart_names_the_queue_number_being_served(client, app, ctx):
    a, b, c = customers_of("E1003", 3)
    with as_user(app, "sales"):
        queue.register(project("HZ-JY"), a, "20000")  # another project's number 1
        queue.register(project(), b, "20000")
        ticket = queue.register(project(), c, "20000")
    assert (ticket.number, ticket.id) == (2, 3)
    login(client, "sales")
    html = client.get("/sales/chart/?project=%d&ticket=%d" % (project().id, ticket.id)).get_data(as_text=True)
    banner = re.search(r'class="[^"]*lc-ticket[^"]*">(.*?)</span>', html, re.S).group(1)
    assert re.search(r"\b2\b", banner) and not re.search(r"\b3\b", banner)
    assert "lc-ticket" not in client.get("/sales/chart/?project=%d&ticket=999999" % project().id).get_data(as_text=True)
