"""Screens, REST resources and the trial page/API: what each role may do, refusals that change
nothing, and lists without a query per row."""
import datetime as dt
import re

import pytest

from app.extensions import db
from app.sales.models import DeedTaxRule, PaymentPlan
from app.sales.services import plans as plan_rules
from tests.conftest import api_token, form_token, login
from tests.sales.helpers import D, QueryCounter, counts, plan, project, room

ROOM = "1栋-1单元-1001"


def flashes(html):
    return " ".join(re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S))


def plan_form(**kw):
    data = {"project": str(project().id), "name": "页面分期", "kind": "instalment", "valid_from": "2026-01-01",
            "valid_to": "", "active": "y", "description": "", "deposit_method": "amount", "deposit_value": "30000",
            "sign_within_days": "7", "down_payment_due_from": "signing", "down_payment_due_days": "0",
            "down_payment_ratio": "", "loan_ratio": "", "term_years": "", "repayment_method": "equal_instalment",
            "commercial_rate": "", "provident_rate": "", "provident_cap": "", "loan_unit": "thousand",
            "sort_order": "0", "instalment_rows": "1", "fee_rows": "1",
            "instalment_rows-name": ["首期", "尾款", ""], "instalment_rows-method": ["percent", "percent", "percent"],
            "instalment_rows-value": ["40", "60", ""], "instalment_rows-due_basis": ["signing", "date", "signing"],
            "instalment_rows-due_days": ["0", "", ""], "instalment_rows-due_date": ["", "2027-06-30", ""],
            "fee_rows-name": ["产权登记费", ""], "fee_rows-method": ["fixed", "fixed"], "fee_rows-value": ["80", ""]}
    data.update(kw)
    return data


def post_plan(client, app, url, **kw):
    with app.app_context():
        data = plan_form(**kw)
    data["csrf_token"] = form_token(client, url)
    return client.post(url, data=data, follow_redirects=True)


# ---- plan screens ---------------------------------------------------------------------------------

def test_manager_adds_an_instalment_plan_with_its_rows_on_one_page(client, app):
    login(client, "manager")
    html = post_plan(client, app, "/paymentplanview/add").get_data(as_text=True)
    assert "alert-danger" not in html, flashes(html)
    with app.app_context():
        item = plan("页面分期")
        assert [(i.name, i.value, i.due_basis) for i in item.instalments] == [
            ("首期", D("40"), "signing"), ("尾款", D("60"), "date")]
        assert item.instalments[1].due_date.isoformat() == "2027-06-30"
        assert [f.name for f in item.fees] == ["产权登记费"]
        pk = item.id
    edit = client.get("/paymentplanview/edit/%d" % pk).get_data(as_text=True)
    assert 'value="首期"' in edit and 'value="2027-06-30"' in edit and 'value="产权登记费"' in edit
    show = client.get("/paymentplanview/show/%d" % pk).get_data(as_text=True)
    assert "首期" in show and "2027-06-30" in show


def test_percentages_not_summing_to_100_are_refused_on_the_page_and_nothing_is_saved(client, app):
    login(client, "manager")
    client.get("/lang/en")
    with app.app_context():
        before = counts()
    html = post_plan(client, app, "/paymentplanview/add",
                     **{"instalment_rows-value": ["40", "50", ""]}).get_data(as_text=True)
    assert "sum to 90% of the price, not 100%" in html
    assert 'value="首期"' in html  # the typed rows come back
    with app.app_context():
        assert counts() == before


def test_editing_rows_replaces_them_and_a_refused_edit_keeps_the_old_ones(client, app):
    login(client, "manager")
    client.get("/lang/en")
    with app.app_context():
        pk = plan("分期付款").id
        before = counts()
    url = "/paymentplanview/edit/%d" % pk
    response = post_plan(client, app, url, name="分期付款", **{"instalment_rows-value": ["40", "70", ""]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "sum to 110%" in html and 'value="70"' in html
    with app.app_context():
        assert counts() == before and len(plan("分期付款").instalments) == 3
    post_plan(client, app, url, name="分期付款")
    with app.app_context():
        assert [i.name for i in plan("分期付款").instalments] == ["首期", "尾款"]


def test_a_deposit_above_20_percent_is_refused_on_the_page(client, app):
    login(client, "manager")
    client.get("/lang/en")
    with app.app_context():
        before = counts()
    html = post_plan(client, app, "/paymentplanview/add", deposit_method="percent",
                     deposit_value="25").get_data(as_text=True)
    assert "at most 20 percent of the price" in html and "586" in html
    with app.app_context():
        assert counts() == before


def test_disable_action_and_delete(client, app, monkeypatch):
    login(client, "manager")
    with app.app_context():
        pk = plan("一次性付款").id
        other = plan("车位一次性付款").id
    token = form_token(client, "/paymentplanview/list/")
    client.post("/paymentplanview/action_post", data={"action": "disable", "rowid": [str(pk)], "csrf_token": token})
    with app.app_context():
        assert db.session.get(PaymentPlan, pk).active is False
    monkeypatch.setattr(plan_rules, "plan_in_use", lambda p: True)
    client.get("/lang/en")
    token = form_token(client, "/paymentplanview/show/%d" % other)
    html = client.post("/paymentplanview/delete/%d" % other, data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "disable it instead of deleting it" in html
    with app.app_context():
        assert db.session.get(PaymentPlan, other) is not None
    monkeypatch.setattr(plan_rules, "plan_in_use", lambda p: False)
    client.post("/paymentplanview/delete/%d" % other, data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(PaymentPlan, other) is None


def test_salespeople_read_plans_but_do_not_change_them(client, app):
    login(client, "sales")
    with app.app_context():
        pk = plan("一次性付款").id
    assert client.get("/paymentplanview/list/").status_code == 200
    assert client.get("/paymentplanview/show/%d" % pk).status_code == 200
    assert client.get("/paymentplanview/add").status_code in (302, 403)
    assert client.get("/paymentplanview/edit/%d" % pk).status_code in (302, 403)
    assert client.get("/deedtaxruleview/list/").status_code == 200
    assert client.get("/deedtaxruleview/add").status_code in (302, 403)


def test_plan_list_is_a_fixed_number_of_queries(admin_client, app):
    def queries():
        with app.app_context():
            engine = db.engine
        with QueryCounter(engine) as counter:
            assert admin_client.get("/paymentplanview/list/?psize_PaymentPlanView=100").status_code == 200
        return counter.count
    few = queries()
    with app.app_context():
        for n in range(6):
            plan_rules.save_plan(PaymentPlan(project=project("HZ-JY"), name="加 %d" % n, kind="instalment",
                                             valid_from=dt.date(2026, 1, 1)),
                                 [{"name": "全款", "method": "percent", "value": "100"}])
    assert queries() == few


# ---- policy screens -------------------------------------------------------------------------------

def test_an_overlapping_deed_tax_rule_is_refused_on_the_page(admin_client, app):
    admin_client.get("/lang/en")
    with app.app_context():
        before = db.session.query(DeedTaxRule).count()
    token = form_token(admin_client, "/deedtaxruleview/add")
    html = admin_client.post("/deedtaxruleview/add", data={
        "csrf_token": token, "valid_from": "2024-12-01", "residential": "y", "home": "first", "area_above": "",
        "area_up_to": "120", "rate": "1", "note": ""}, follow_redirects=True).get_data(as_text=True)
    assert "already covers these areas" in html
    with app.app_context():
        assert db.session.query(DeedTaxRule).count() == before
    html = admin_client.get("/deedtaxruleview/list/").get_data(as_text=True)
    assert "2024-12-01" in html and "1.5%" in html


# ---- trial page -----------------------------------------------------------------------------------

def test_salesperson_compares_three_plans_of_a_room(client, app):
    with app.app_context():
        rid = room(ROOM).id
        ids = [plan(n).id for n in ("一次性付款", "商业按揭 首付30%", "组合贷款 首付30%")]
    login(client, "sales")
    html = client.get("/sales/trial/?room=%d&date=2026-11-26&%s" % (
        rid, "&".join("plan=%d" % i for i in ids))).get_data(as_text=True)
    assert html.count("¥4,145,070.00") >= 4  # the room and each option
    assert "¥2,901,000.00" in html and "¥13,026.79" in html  # the commercial loan and its first month
    assert "¥12,442.33" in html  # the combined loan's first month (both parts)
    assert "¥41,450.70" in html  # deed tax
    assert "loupan-trial-refused" not in html
    schedule = client.get("/sales/trial/?room=%d&date=2026-11-26&plan=%d&schedule=%d" % (
        rid, ids[1], ids[1])).get_data(as_text=True)
    assert schedule.count("<tr><td>") >= 360


def test_trial_page_defaults_to_the_first_plans_and_shows_refusals(client, app):
    with app.app_context():
        rid = room("1栋-B001").id
        parking_plan = plan("车位一次性付款").id
    login(client, "sales")
    client.get("/lang/en")
    html = client.get("/sales/trial/?room=%d&date=2026-11-26" % rid).get_data(as_text=True)
    assert "more than 20% of the price" in html  # 50,000 deposit on a 180,000 space, per plan
    html = client.get("/sales/trial/?room=%d&date=2026-11-26&plan=%d" % (rid, parking_plan)).get_data(as_text=True)
    assert "¥180,000.00" in html and "loupan-trial-refused" not in html


@pytest.mark.parametrize("query,message", [
    ("room=abc", "Choose the room"),
    ("room=99999999", "There is no room 99999999"),
    ("room={room}&date=2026-13-45", "Enter dates as 2026-11-26"),
    ("room={room}&plan=999999", "no longer exist"),
    ("room={room}&plan=x", "no longer exist"),
    ("room={room}&{four}", "Compare at most 3"),
    ("project={project}&code=nowhere", "The project has no room"),
])
def test_bad_trial_requests_get_a_message(client, app, query, message):
    with app.app_context():
        values = {"room": room(ROOM).id, "project": project().id,
                  "four": "&".join("plan=%d" % p.id for p in db.session.query(PaymentPlan).filter_by(
                      project_id=project().id).limit(4))}
    login(client, "sales")
    client.get("/lang/en")
    response = client.get("/sales/trial/?" + query.format(**values))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_room_found_by_code_from_the_project(client, app):
    with app.app_context():
        pid = project().id
    login(client, "sales")
    html = client.get("/sales/trial/?project=%d&code=%s" % (pid, ROOM)).get_data(as_text=True)
    assert "¥4,145,070.00" in html


def test_project_page_links_to_plans_and_trial(client, app):
    with app.app_context():
        pid = project().id
    login(client, "manager")
    html = client.get("/projectview/show/%d" % pid).get_data(as_text=True)
    assert "/sales/trial/?project=%d" % pid in html and "/paymentplanview/list/?_flt_0_project=%d" % pid in html


def test_room_page_links_to_the_trial(client, app):
    with app.app_context():
        rid = room(ROOM).id
    login(client, "sales")
    html = client.get("/roomview/show/%d" % rid).get_data(as_text=True)
    assert "/sales/trial/?room=%d" % rid in html
    # Each row of the room list has its button too.
    html = client.get("/roomview/list/?_flt_0_code=%s" % ROOM).get_data(as_text=True)
    assert 'href="/sales/trial/?room=%d"' % rid in html
    client.get("/logout/")
    login(client, "finance")
    html = client.get("/roomview/show/%d" % rid).get_data(as_text=True)
    assert "/sales/trial/?room=" not in html
    html = client.get("/roomview/list/?_flt_0_code=%s" % ROOM).get_data(as_text=True)
    assert "/sales/trial/?room=" not in html and ROOM in html


def test_the_simulated_payment_plan_prints_as_pdf(client, app):
    with app.app_context():
        rid = room(ROOM).id
        ids = [plan(n).id for n in ("商业按揭 首付30%", "组合贷款 首付30%")]
    login(client, "sales")
    response = client.get("/sales/trial/print/?room=%d&date=2026-11-26&customer=王先生&plan=%d&plan=%d" % (
        rid, *ids))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    from pypdf import PdfReader  # noqa: E402 (only this test reads PDFs)
    import io
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "模拟付款计划表" in text and "王先生" in text and "13,026.79" in text


def pdf_text(data):
    import io
    from pypdf import PdfReader
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_printed_plan_lists_the_discounts_step_by_step(client, app):
    from app.sales.models import DiscountPolicy
    from app.sales.services import trial as trials
    with app.app_context():
        r = room(ROOM)
        rid, ids = r.id, [plan(n).id for n in ("商业按揭 首付30%", "一次性付款")]
        discount_ids = [db.session.query(DiscountPolicy).filter_by(project_id=r.project_id, name=n).one().id
                        for n in ("开盘优惠99折", "认购立减2万")]
        policies = db.session.query(DiscountPolicy).filter(DiscountPolicy.id.in_(discount_ids)).all()
        expected = trials.trial(r, plan("商业按揭 首付30%"), dt.date(2026, 11, 26), discounts=policies)
        total = "{:,.2f}".format(expected.total).split(".")[0]
        list_total = "{:,.2f}".format(expected.discount.list_total).split(".")[0]
        percent = "%s%%" % expected.discount.discount_percent
        assert expected.discount.discount_percent > 0
    login(client, "sales")
    response = client.get("/sales/trial/print/?room=%d&date=2026-11-26&plan=%d&plan=%d&discount=%d&discount=%d" % (
        rid, *ids, *discount_ids))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "开盘优惠99折" in text and "认购立减2万" in text
    assert list_total in text and total in text and percent in text
    assert "合计优惠" in text
    # Without discounts there is no discount table.
    plain = pdf_text(client.get("/sales/trial/print/?room=%d&date=2026-11-26&plan=%d" % (rid, ids[0])).data)
    assert "开盘优惠99折" not in plain and "合计优惠" not in plain


def test_an_unedited_older_default_template_is_upgraded_and_an_edited_one_kept(app):
    from app.printing.models import PrintTemplate
    from app.sales.services import trial_print
    with app.app_context():
        template = db.session.query(PrintTemplate).filter_by(kind=trial_print.KIND, is_default=True).one()
        assert template.html == trial_print.TRIAL_HTML  # a fresh install has the current template
        assert trial_print.upgrade_template() == []
        old = trial_print.TRIAL_HTML.replace("{% if o.discounts and o.discounts.steps %}", "{% if false %}")
        import hashlib
        trial_print.PREVIOUS_HTML_SHA256.add(hashlib.sha256(old.encode()).hexdigest())
        try:
            template.html = old
            db.session.commit()
            assert trial_print.upgrade_template() == [template]
            assert db.session.get(PrintTemplate, template.id).html == trial_print.TRIAL_HTML
            template.html = old + "<!-- 本公司修改 -->"
            db.session.commit()
            assert trial_print.upgrade_template() == []
            assert "本公司修改" in db.session.get(PrintTemplate, template.id).html
        finally:
            trial_print.PREVIOUS_HTML_SHA256.discard(hashlib.sha256(old.encode()).hexdigest())


def test_print_without_a_room_goes_back_with_a_message(client, app):
    login(client, "sales")
    response = client.get("/sales/trial/print/?room=nothing")
    assert response.status_code == 302


def test_finance_may_not_run_trials(client, app):
    login(client, "finance")
    assert client.get("/sales/trial/").status_code in (302, 403)


# ---- trial API ------------------------------------------------------------------------------------

def test_trial_api_returns_the_breakdown(client, app):
    with app.app_context():
        body = {"room": room(ROOM).id, "plans": [plan("商业按揭 首付30%").id, plan("分期付款").id],
                "date": "2026-11-26", "first_home": True}
    response = client.post("/api/v1/sales/trial", json=body, headers=api_token(client, "sales"))
    assert response.status_code == 200, response.json
    loan, instalments = response.json["options"]
    assert loan["price"]["total"] == "4145070.00" and loan["loan_amount"] == "2901000.00"
    assert loan["repayment"]["first_payment"] == "13026.79" and "schedule" not in loan["loans"][0]
    assert [p["amount"] for p in instalments["payments"]] == ["50000.00", "2022535.00", "1243521.00", "829014.00"]
    assert response.json["room"]["code"] == ROOM


def test_trial_api_full_schedule_and_per_plan_refusal(client, app):
    with app.app_context():
        body = {"room": room("1栋-B001").id, "plans": [plan("一次性付款").id, plan("车位一次性付款").id],
                "date": "2026-11-26", "schedule": True}
    response = client.post("/api/v1/sales/trial", json=body, headers=api_token(client, "sales"))
    assert response.status_code == 200
    refused, fine = response.json["options"]
    assert "error" in refused and fine["price"]["total"] == "180000.00"


@pytest.mark.parametrize("body,status", [
    ("not json", 400),
    ({"room": "1", "plan": 1}, 400),
    ({"room": True, "plan": 1}, 400),
    ({"room": "{room}"}, 400),
    ({"room": "{room}", "plans": [1, 2, 3, 4]}, 400),
    ({"room": "{room}", "plans": []}, 400),
    ({"room": "{room}", "plan": "{plan}", "date": "2026-02-30"}, 400),
    ({"room": "{room}", "plan": "{plan}", "first_home": "yes"}, 400),
    ({"room": 99999999, "plan": "{plan}"}, 404),
    ({"room": "{room}", "plan": 99999999}, 404),
    ({"room": "{room}", "plan": "{other}"}, 422),
    ({"room": "{room}", "plan": "{plan}", "date": "2020-01-01"}, 422),
])
def test_trial_api_refuses_bad_requests(client, app, body, status):
    with app.app_context():
        values = {"{room}": room(ROOM).id, "{plan}": plan("商业按揭 首付30%").id,
                  "{other}": plan("一次性付款", "SZ-HY").id}
    if isinstance(body, dict):
        body = {k: values.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    headers = api_token(client, "sales")
    if isinstance(body, str):
        response = client.post("/api/v1/sales/trial", data=body, headers=headers, content_type="application/json")
    else:
        response = client.post("/api/v1/sales/trial", json=body, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json.get("message")


def test_trial_api_needs_the_permission(client, app):
    with app.app_context():
        body = {"room": room(ROOM).id, "plan": plan("一次性付款").id}
    assert client.post("/api/v1/sales/trial", json=body).status_code == 401
    assert client.post("/api/v1/sales/trial", json=body, headers=api_token(client, "finance")).status_code == 403


# ---- plan and policy API --------------------------------------------------------------------------

def plan_json(**kw):
    data = {"project": None, "name": "接口分期", "kind": "instalment", "valid_from": "2026-01-01",
            "deposit_method": "amount", "deposit_value": "20000",
            "instalments": [{"name": "首期", "method": "percent", "value": "30", "due_basis": "signing",
                             "due_days": 0},
                            {"name": "尾款", "method": "rest", "due_basis": "subscription", "due_days": 60}],
            "fees": [{"name": "产权登记费", "method": "fixed", "value": "80"}]}
    data.update(kw)
    return data


def test_plan_api_writes_and_reads_rows(client, app):
    with app.app_context():
        pid = project().id
    headers = api_token(client, "manager")
    response = client.post("/api/v1/payment_plans/", json=plan_json(project=pid), headers=headers)
    assert response.status_code == 201, response.json
    pk = response.json["id"]
    shown = client.get("/api/v1/payment_plans/%d" % pk, headers=headers).json["result"]
    assert [i["name"] for i in shown["instalments"]] == ["首期", "尾款"] and shown["fees"][0]["value"] == "80.0000"
    response = client.put("/api/v1/payment_plans/%d" % pk, headers=headers, json={
        "instalments": [{"name": "全款", "method": "percent", "value": "100"}]})
    assert response.status_code == 200, response.json
    with app.app_context():
        assert [i.name for i in db.session.get(PaymentPlan, pk).instalments] == ["全款"]


@pytest.mark.parametrize("changes,status", [
    ({"instalments": [{"name": "首期", "method": "percent", "value": "30"}]}, 422),
    ({"deposit_method": "percent", "deposit_value": "21"}, 422),
    ({"kind": "commercial", "instalments": [], "down_payment_ratio": "10", "term_years": 30}, 422),
    ({"project": 999999}, 422),
    ({"valid_from": "soon"}, 422),
    ({"instalments": "all at once"}, 422),
])
def test_plan_api_refusals_save_nothing(client, app, changes, status):
    with app.app_context():
        pid, before = project().id, counts()
    body = plan_json(project=pid)
    body.update(changes)
    response = client.post("/api/v1/payment_plans/", json=body, headers=api_token(client, "manager"))
    assert response.status_code == status, response.json
    with app.app_context():
        assert counts() == before


def test_plan_and_policy_api_permissions(client, app):
    with app.app_context():
        pid = project().id
    sales = api_token(client, "sales")
    assert client.get("/api/v1/payment_plans/?q=(page_size:100)", headers=sales).status_code == 200
    assert client.post("/api/v1/payment_plans/", json=plan_json(project=pid), headers=sales).status_code == 403
    rates = client.get("/api/v1/loan_rates/?q=(page_size:100)", headers=sales)
    assert rates.status_code == 200 and len(rates.json["result"]) == 12
    body = {"valid_from": "2026-12-20", "kind": "lpr", "term": "long", "home": "any", "rate": "3.4"}
    assert client.post("/api/v1/loan_rates/", json=body, headers=sales).status_code == 403
    admin = api_token(client, "admin")
    assert client.post("/api/v1/loan_rates/", json=body, headers=admin).status_code == 201
    again = client.post("/api/v1/loan_rates/", json=body, headers=admin)
    assert again.status_code == 422 and again.json["message"]
    manager = api_token(client, "manager")
    assert client.get("/api/v1/payment_plans/abc", headers=sales).status_code in (404, 405)
    assert client.put("/api/v1/payment_plans/abc", json={"name": "x"}, headers=manager).status_code in (400, 404)
    assert client.put("/api/v1/payment_plans/99999999", json={"name": "x"}, headers=manager).status_code == 404


def test_the_default_print_template_fills_in_with_the_sample(app):
    from app.printing import services as printing
    from app.sales.services import trial_print
    with app.test_request_context():
        pdf = printing.preview_draft(trial_print.KIND, trial_print.TRIAL_HTML, "a4", printed_by="林晓燕")
    assert pdf.startswith(b"%PDF")
    with app.app_context():
        templates = printing.templates_for(trial_print.KIND)
        assert [t.name for t in templates] == ["模拟付款计划表"] and templates[0].is_default
