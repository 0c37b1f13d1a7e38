"""Campaigns, their cost plan and spending, plan vs actual, and what each channel and campaign
brought in — with a small history of March 2020 built here and figures checked exactly."""
import datetime as dt

import pytest
import sqlalchemy as sa

from app.core.errors import BusinessError
from app.core.models import ApprovalRequest
from app.core.services import approvals
from app.extensions import db
from app.marketing.models import Campaign, CampaignCost
from app.marketing.services import campaigns, channels
from tests.marketing.helpers import D, MARCH, as_user, campaign, deal, lookup, project, spend, visit
from tests.sales.helpers import QueryCounter


def cost_count():
    return db.session.query(sa.func.count(CampaignCost.id)).scalar()


def history(app):
    """Two campaigns (户外广告, 网络推广), spending, four new customers, three deals that count and
    one cancelled."""
    with as_user(app, "manager") as user:
        outdoor = campaign("测试户外广告", "户外广告", {"广告费": "10000"})
        online = campaign("测试网络推广", "网络推广", {"广告费": "5000"})
        spend(outdoor, "广告费", "3000", dt.date(2020, 3, 2), user=user)
        spend(outdoor, "广告费", "6000", dt.date(2020, 3, 20), user=user)
        spend(online, "广告费", "4000", dt.date(2020, 3, 3), user=user)
        beyond = spend(online, "广告费", "2000", dt.date(2020, 3, 9), user=user)
        v1 = visit("17700000001", dt.date(2020, 3, 2), "户外广告", name="甲测试")
        v1b = visit("17700000001", dt.date(2020, 3, 10), "户外广告")
        v2 = visit("17700000002", dt.date(2020, 3, 5), "户外广告", name="乙测试")
        v3 = visit("17700000003", dt.date(2020, 3, 6), "网络推广", name="丙测试")
        v4 = visit("17700000004", dt.date(2020, 3, 7), "网络推广", name="丁测试", kind="call")
        for v, c in ((v1, outdoor), (v1b, outdoor), (v2, outdoor), (v3, online)):
            campaigns.link_visit(v, c)
        db.session.commit()
        deal(v1.customer, "signed", "1000000", subscribed_on=dt.date(2020, 3, 15), signed_on=dt.date(2020, 3, 20))
        deal(v2.customer, "subscribed", "800000", subscribed_on=dt.date(2020, 3, 25))
        deal(v3.customer, "signed", "1200000", subscribed_on=dt.date(2020, 3, 18), signed_on=dt.date(2020, 3, 28))
        deal(v4.customer, "signed", "900000", subscribed_on=dt.date(2020, 3, 10), signed_on=dt.date(2020, 3, 12),
             state="cancelled")
    return outdoor, online, beyond


def test_plan_vs_actual_and_overspend_approval(app, ctx):
    outdoor, online, beyond = history(app)
    assert beyond.status == "pending"
    request = db.session.get(ApprovalRequest, beyond.approval_id)
    assert request.kind == campaigns.APPROVAL_KIND and request.status == "pending"
    rows = {r["campaign"]: r for r in campaigns.plan_vs_actual(project_id=project().id)}
    assert (rows["测试户外广告"]["planned"], rows["测试户外广告"]["actual"], rows["测试户外广告"]["pending"],
            rows["测试户外广告"]["left"]) == (D("10000"), D("9000"), D("0"), D("1000"))
    assert (rows["测试网络推广"]["planned"], rows["测试网络推广"]["actual"], rows["测试网络推广"]["pending"],
            rows["测试网络推广"]["left"]) == (D("5000"), D("4000"), D("2000"), D("1000"))
    # The admin approves: the spending counts, the campaign is over its plan.
    admin = app.appbuilder.sm.find_user(username="admin")
    approvals.approve(request.id, admin)
    assert db.session.get(CampaignCost, beyond.id).status == "counted"
    row = campaigns.plan_vs_actual(campaign_id=online.id)[0]
    assert (row["actual"], row["pending"], row["left"]) == (D("6000"), D("0"), D("-1000"))
    by_type = campaigns.totals(campaigns.plan_vs_actual(campaign_id=online.id), "cost_type")
    assert by_type["广告费"]["actual"] == D("6000")


def test_rejected_overspend_never_counts(app, ctx):
    _outdoor, online, beyond = history(app)
    admin = app.appbuilder.sm.find_user(username="admin")
    approvals.reject(beyond.approval_id, admin, "预算不足")
    assert db.session.get(CampaignCost, beyond.id).status == "rejected"
    row = campaigns.plan_vs_actual(campaign_id=online.id)[0]
    assert (row["actual"], row["pending"]) == (D("4000"), D("0"))


def test_figures_by_channel_and_campaign(app, ctx):
    history(app)
    with QueryCounter(db.engine) as counter:
        rows, total = channels.by_channel(project().id, *MARCH)
    assert counter.count <= 8
    by_name = {r["name"]: r for r in rows}
    outdoor, online = by_name["户外广告"], by_name["网络推广"]
    assert (outdoor["visits"], outdoor["customers"], outdoor["subscriptions"], outdoor["contracts"]) == (3, 2, 2, 1)
    assert (outdoor["value"], outdoor["cost"]) == (D("1000000"), D("9000"))
    assert (outdoor["per_visit"], outdoor["per_customer"], outdoor["per_contract"]) == (
        D("3000.00"), D("4500.00"), D("9000.00"))
    assert (online["visits"], online["customers"], online["subscriptions"], online["contracts"]) == (1, 2, 1, 1)
    assert (online["value"], online["cost"]) == (D("1200000"), D("4000"))
    assert (online["per_visit"], online["per_customer"], online["per_contract"]) == (
        D("4000.00"), D("2000.00"), D("4000.00"))
    assert by_name["老带新"]["contracts"] == 0 and by_name["老带新"]["per_contract"] is None
    assert (total["visits"], total["contracts"], total["cost"], total["per_contract"]) == (4, 2, D("13000"),
                                                                                         D("6500.00"))
    camp = {r["name"]: r for r in channels.by_campaign(project().id, *MARCH)[0]}
    assert (camp["测试户外广告"]["visits"], camp["测试户外广告"]["customers"], camp["测试户外广告"]["subscriptions"],
            camp["测试户外广告"]["contracts"], camp["测试户外广告"]["per_contract"]) == (3, 2, 2, 1, D("9000.00"))
    assert (camp["测试网络推广"]["visits"], camp["测试网络推广"]["customers"], camp["测试网络推广"]["contracts"],
            camp["测试网络推广"]["cost"]) == (1, 1, 1, D("4000"))
    # Another period: nothing of this history.
    rows, total = channels.by_channel(project().id, dt.date(2020, 4, 1), dt.date(2020, 4, 30))
    assert (total["visits"], total["contracts"], total["cost"]) == (0, 0, D("0"))


def test_spending_refusals_change_nothing(app, ctx):
    with as_user(app, "manager") as user:
        item = campaign("测试户外广告", "户外广告", {"广告费": "10000"})
        before = cost_count()
        with pytest.raises(BusinessError, match="outside the campaign|不在活动"):
            spend(item, "广告费", "100", dt.date(2020, 4, 1), user=user)
        db.session.rollback()
        with pytest.raises(BusinessError, match="more than zero|必须大于零"):
            spend(item, "广告费", "-100", dt.date(2020, 3, 5), user=user)
        db.session.rollback()
        with pytest.raises(BusinessError, match="must be a number|必须是数字"):
            spend(item, "广告费", "abc", dt.date(2020, 3, 5), user=user)
        db.session.rollback()
        assert cost_count() == before
        # A campaign's dates cannot move away from its spending; an end before the start is refused.
        spend(item, "广告费", "100", dt.date(2020, 3, 30), user=user)
        item = db.session.get(Campaign, item.id)
        item.end_date = dt.date(2020, 3, 20)
        with pytest.raises(BusinessError, match="outside the new dates|新的活动日期之外"):
            with db.session.no_autoflush:
                campaigns.check_campaign(item)
        db.session.rollback()
        item = db.session.get(Campaign, item.id)
        item.end_date = dt.date(2020, 2, 1)
        with pytest.raises(BusinessError, match="ends before it starts|早于开始日期"):
            with db.session.no_autoflush:
                campaigns.check_campaign(item)
        db.session.rollback()
        assert db.session.get(Campaign, item.id).end_date == MARCH[1]


def test_cost_pages_refuse_with_a_message(app, client):
    from tests.conftest import form_token, login
    with app.app_context():
        with as_user(app, "manager"):
            item = campaign("测试户外广告", "户外广告", {"广告费": "10000"})
        campaign_id, type_id = item.id, lookup("sales_cost_type", "广告费").id
        before = cost_count()
    login(client, "manager")
    token = form_token(client, "/campaigncostview/add")
    response = client.post("/campaigncostview/add", data={
        "csrf_token": token, "campaign": campaign_id, "cost_type": type_id, "spent_on": "2020-05-01",
        "amount": "500", "payee": "某广告公司"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "alert-danger" in html and "2020-05-01" in html and "2020-03-31" in html
    response = client.post("/campaigncostview/add", data={
        "csrf_token": token, "campaign": campaign_id, "cost_type": type_id, "spent_on": "2020-03-05",
        "amount": "12000", "payee": "某广告公司"}, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert cost_count() == before + 1
        cost = db.session.query(CampaignCost).order_by(CampaignCost.id.desc()).first()
        assert cost.status == "pending" and cost.approval_id is not None
    for url in ("/marketing/report/plan", "/marketing/report/channels?project=x&start=bad",
                "/marketing/report/plan?campaign=99999999999", "/campaignview/show/%d" % campaign_id):
        assert client.get(url).status_code == 200, url


def test_api(app, client):
    from tests.conftest import api_token
    with app.app_context():
        type_id = lookup("sales_cost_type", "活动费").id
        project_id, channel_id = project().id, lookup("visit_channel", "老带新").id
    headers = api_token(client, "manager")
    response = client.post("/api/v1/marketing_campaigns/", headers=headers, json={
        "project": project_id, "name": "接口活动", "kind": "warm_up", "channel": channel_id,
        "start_date": "2020-03-01", "end_date": "2020-03-31"})
    assert response.status_code == 201, response.get_data(as_text=True)
    campaign_id = response.json["id"]
    response = client.post("/api/v1/marketing_budgets/", headers=headers,
                           json={"campaign": campaign_id, "cost_type": type_id, "amount": "1000"})
    assert response.status_code == 201, response.get_data(as_text=True)
    response = client.post("/api/v1/marketing_costs/", headers=headers, json={
        "campaign": campaign_id, "cost_type": type_id, "spent_on": "2020-04-02", "amount": "100", "payee": "X"})
    assert response.status_code == 422
    assert "outside" in response.json["message"] or "不在活动" in response.json["message"]
    response = client.post("/api/v1/marketing_costs/", headers=headers, json={
        "campaign": campaign_id, "cost_type": type_id, "spent_on": "2020-03-02", "amount": "1500", "payee": "X"})
    assert response.status_code == 201
    cost = client.get("/api/v1/marketing_costs/%d" % response.json["id"], headers=headers).json["result"]
    assert cost["status"] == "pending" and cost["approval_id"]
    figures = client.get("/api/v1/marketing_figures/channels?project=%d&start=2020-03-01&end=2020-03-31" % project_id,
                         headers=headers).json
    row = [c for c in figures["campaigns"] if c["id"] == campaign_id][0]
    assert row["cost"] == "0.00" and row["cost_per_contract"] is None
    assert client.get("/api/v1/marketing_campaigns/999999", headers=headers).status_code == 404
    assert client.get("/api/v1/marketing/questionnaires/999999/results", headers=headers).status_code == 404
    assert client.post("/api/v1/marketing_costs/", headers=headers, data="nonsense").status_code == 400


def test_matching_visits_are_linked_once(app, ctx):
    with as_user(app, "manager"):
        item = campaign("测试老带新", "老带新", kind="referral")
        other = campaign("测试同期户外", "户外广告")
        visit("17700000041", dt.date(2020, 3, 3), "老带新", name="推荐甲")
        visit("17700000042", dt.date(2020, 3, 31), "老带新", name="推荐乙")
        visit("17700000043", dt.date(2020, 4, 1), "老带新", name="推荐丙")
        visit("17700000044", dt.date(2020, 3, 4), "户外广告", name="广告丁")
        assert campaigns.link_matching_visits(item) == 2
        assert campaigns.link_matching_visits(item) == 0
        assert campaigns.link_matching_visits(other) == 1
        rows = {r["name"]: r for r in channels.by_campaign(project().id, *MARCH)[0]}
        assert (rows["测试老带新"]["visits"], rows["测试同期户外"]["visits"]) == (2, 1)


def test_visit_list_leads_to_the_questionnaire(app, client):
    from tests.conftest import form_token, login
    from app.marketing.models import Questionnaire
    with app.app_context():
        with as_user(app, "sales"):
            from app.crm.services import visits as visit_service
            v, _new = visit_service.register_visit("17700000051", project().id, name="问卷来访",
                                                   channel_id=lookup("visit_channel", "老带新").id)
            visit_id = v.id
            from app.core import clock
            today = clock.local_today()
            campaign_id = campaign("测试老带新", "老带新", kind="referral", start=today - dt.timedelta(days=1),
                                   end=today + dt.timedelta(days=1)).id
        questionnaire_id = db.session.query(Questionnaire.id).filter_by(project_id=project().id).scalar()
    login(client, "sales")
    assert "/marketing/questionnaires/visit/" in client.get("/visitview/list/").get_data(as_text=True)
    html = client.get("/visitview/show/%d" % visit_id).get_data(as_text=True)
    assert "/marketing/questionnaires/visit/%d" % visit_id in html
    response = client.get("/marketing/questionnaires/visit/%d" % visit_id)
    assert response.status_code == 302
    assert "/marketing/questionnaires/fill/%d?visit=%d" % (questionnaire_id, visit_id) in response.headers["Location"]
    assert "问卷来访" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/marketing/questionnaires/visit/99999999").status_code == 404
    # Linking matching visits is the manager's.
    assert client.get("/campaignview/link_visits/%d" % campaign_id).status_code in (302, 403)
    client.get("/logout/")
    login(client, "manager")
    token = form_token(client, "/campaignview/link_visits/%d" % campaign_id)
    client.post("/campaignview/link_visits/%d" % campaign_id, data={"csrf_token": token})
    with app.app_context():
        from app.marketing.models import CampaignVisit
        assert db.session.get(CampaignVisit, visit_id).campaign_id == campaign_id
