"""Event sign-up: attendees from CRM or new ones (who become customers with the campaign's
channel), and attendance, which registers their visit as one through the campaign."""
import pytest
import sqlalchemy as sa

from app.core.errors import BusinessError
from app.crm.models import Customer, Visit
from app.extensions import db
from app.marketing.models import CampaignAttendee, CampaignVisit
from app.marketing.services import channels, events
from tests.crm.helpers import one_customer_of
from tests.marketing.helpers import as_user, campaign, lookup, project


def test_sign_up_and_attendance(app, ctx):
    with as_user(app, "sales") as user:
        item = campaign("测试暖场活动", "老带新", kind="warm_up")
        known = one_customer_of("E1003")
        customers_before = db.session.query(sa.func.count(Customer.id)).scalar()
        first = events.sign_up(item, phone=known.phone, user=user)
        assert first.customer_id == known.id and not first.new_customer
        fresh = events.sign_up(item, phone="17700000021", name="报名新客", user=user)
        customer = db.session.get(Customer, fresh.customer_id)
        assert fresh.new_customer and customer.name == "报名新客"
        assert customer.source_id == lookup("visit_channel", "老带新").id
        assert db.session.query(sa.func.count(Customer.id)).scalar() == customers_before + 1
        with pytest.raises(BusinessError, match="already signed up|已报名该活动"):
            events.sign_up(item, phone="177 0000 0021", user=user)
        with pytest.raises(BusinessError, match="attendee's name|报名人姓名"):
            events.sign_up(item, phone="17700000022", user=user)
        assert db.session.query(sa.func.count(CampaignAttendee.id)).filter_by(campaign_id=item.id).scalar() == 2

        attendee = events.mark_attended(db.session.get(CampaignAttendee, fresh.id), user=user)
        visit = db.session.get(Visit, attendee.visit_id)
        assert visit.channel_id == lookup("visit_channel", "老带新").id and visit.is_first
        assert db.session.get(CampaignVisit, visit.id).campaign_id == item.id
        with pytest.raises(BusinessError, match="already recorded|到场已登记"):
            events.mark_attended(db.session.get(CampaignAttendee, fresh.id), user=user)
        day = visit.visited_at.date()
        rows = {r["name"]: r for r in channels.by_campaign(project().id)[0]}
        assert (rows["测试暖场活动"]["visits"], rows["测试暖场活动"]["customers"]) == (1, 1)
        assert day is not None


def test_sign_up_page(app, client):
    from tests.conftest import form_token, login
    with app.app_context():
        with as_user(app, "manager"):
            pk = campaign("测试暖场活动", "老带新", kind="warm_up").id
    login(client, "sales")
    url = "/marketing/events/%d" % pk
    token = form_token(client, url)
    response = client.post(url + "/sign_up", data={"csrf_token": token, "phone": "12", "name": ""})
    assert response.status_code == 422 and "alert-danger" in response.get_data(as_text=True)
    response = client.post(url + "/sign_up", data={"csrf_token": token, "phone": "17700000031", "name": "页面报名"},
                           follow_redirects=True)
    assert "页面报名" in response.get_data(as_text=True)
    with app.app_context():
        attendee_id = db.session.query(CampaignAttendee.id).filter_by(campaign_id=pk).scalar()
    response = client.post(url + "/attend/%d" % attendee_id, data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(CampaignAttendee, attendee_id).visit_id is not None
    assert client.post("/marketing/events/99999999/attend/1", data={"csrf_token": token}).status_code == 404
