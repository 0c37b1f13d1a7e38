"""Price adjustments (调价): submitted for approval, applied atomically when approved with the
figures of the preview, one history row per room; active deals keep their price; refusals,
rejections and withdrawals change nothing."""
import pytest
from flask_babel import force_locale

from app.core.errors import BusinessError
from app.core.services import approvals
from app.extensions import db
from app.inventory.models.pricing import PriceAdjustment, PriceAdjustmentLine, PriceHistory
from app.inventory.services import price_adjustment, pricing
from tests.conftest import api_token, form_token, login
from tests.inventory.helpers import D, project, room
from tests.inventory.pricing_helpers import counts, ids, other_project_room, prices, set_status, user

CODES = ("1栋-1单元-101", "1栋-1单元-201", "1栋-1单元-102")


def submit(codes=CODES, method="percent", value="3", who="manager"):
    return price_adjustment.create(project().id, ids(*codes), method, value, "加推前调价", user(who), "市场回暖")


def lines_of(adjustment_id):
    return {line.room.code: line for line in
            db.session.query(PriceAdjustmentLine).filter_by(adjustment_id=adjustment_id)}


def test_demo_has_one_approved_adjustment_with_history(ctx):
    adjustment = db.session.query(PriceAdjustment).one()
    assert adjustment.status == "approved" and adjustment.approval_request.status == "approved"
    assert prices("1栋-2单元-1002") == (D("34833"), D("3117554"), D("3024027"))
    assert prices("1栋-2单元-902") == (D("34680"), D("3103860"), D("3010744"))
    history = db.session.query(PriceHistory).filter_by(room_id=room("1栋-2单元-1002").id).one()
    assert (history.old_unit_price, history.new_unit_price) == (D("34150"), D("34833"))
    assert history.changed_by.username == "admin" and history.adjustment_id == adjustment.id


def test_submitted_adjustment_waits_for_approval_and_changes_nothing(ctx):
    before = {c: prices(c) for c in CODES}
    adjustment = submit()
    assert adjustment.status == "pending" and adjustment.approval_request.status == "pending"
    assert adjustment.approval_request.kind == "price_adjustment"
    assert adjustment.room_count == 3 and adjustment.skipped_count == 0
    assert {c: prices(c) for c in CODES} == before
    line = lines_of(adjustment.id)["1栋-1单元-101"]
    assert (line.old_unit_price, line.new_unit_price, line.new_total_price, line.new_floor_price) == (
        D("33600"), D("34608"), D("4104509"), D("3981374"))


def test_approval_applies_exactly_the_preview_and_writes_history(ctx):
    preview = {line.facts.code: (line.result.unit, line.result.total, line.result.floor_price)
               for line in pricing.preview(project(), ids(*CODES), "percent", "3")}
    adjustment = submit()
    history_before = db.session.query(PriceHistory).count()
    approvals.approve(adjustment.approval_request_id, user("admin"), "同意")
    db.session.expire_all()
    assert {c: prices(c) for c in CODES} == preview
    # 33750 × 1.03 = 34762.5 → 34763 (half a yuan rounds up)
    assert prices("1栋-1单元-201") == (D("34763"), D("4122892"), D("3999205"))
    adjustment = db.session.get(PriceAdjustment, adjustment.id)
    assert adjustment.status == "approved" and adjustment.applied_at is not None
    rows = db.session.query(PriceHistory).filter_by(adjustment_id=adjustment.id).all()
    assert len(rows) == 3 and db.session.query(PriceHistory).count() == history_before + 3
    row = {h.room.code: h for h in rows}["1栋-1单元-101"]
    assert (row.old_unit_price, row.old_total_price, row.old_floor_price) == (D("33600"), D("3984960"), D("3865411"))
    assert (row.new_unit_price, row.new_total_price, row.new_floor_price) == (D("34608"), D("4104509"), D("3981374"))
    assert row.changed_by.username == "admin"


def test_rooms_with_an_active_deal_keep_their_price(ctx):
    set_status("1栋-1单元-201", "subscribed")
    adjustment = submit()
    assert adjustment.skipped_count == 1
    assert lines_of(adjustment.id)["1栋-1单元-201"].skipped == "active_deal"
    # 1栋-1单元-102 gets held between the preview and the approval.
    set_status("1栋-1单元-102", "held")
    before = {c: prices(c) for c in ("1栋-1单元-201", "1栋-1单元-102")}
    approvals.approve(adjustment.approval_request_id, user("admin"))
    db.session.expire_all()
    assert {c: prices(c) for c in ("1栋-1单元-201", "1栋-1单元-102")} == before
    assert prices("1栋-1单元-101")[0] == D("34608")
    lines = lines_of(adjustment.id)
    assert lines["1栋-1单元-102"].skipped == "active_deal"
    assert db.session.get(PriceAdjustment, adjustment.id).skipped_count == 2
    assert db.session.query(PriceHistory).filter_by(adjustment_id=adjustment.id).count() == 1


def test_a_price_changed_since_the_preview_is_not_overwritten(ctx):
    first, second = submit(("1栋-1单元-101",)), submit(CODES, "amount", "100")
    approvals.approve(first.approval_request_id, user("admin"))
    approvals.approve(second.approval_request_id, user("admin"))
    db.session.expire_all()
    assert prices("1栋-1单元-101")[0] == D("34608")
    assert prices("1栋-1单元-102")[0] == D("32900")
    assert lines_of(second.id)["1栋-1单元-101"].skipped == "changed"


def test_only_active_deals_selected_is_refused(ctx):
    set_status("1栋-1单元-101", "signed")
    before = counts()
    with force_locale("en"), pytest.raises(BusinessError, match="None of the selected rooms"):
        submit(("1栋-1单元-101",))
    assert counts() == before


def test_nobody_approves_their_own_adjustment_and_sales_cannot_approve(ctx):
    adjustment = submit()
    with force_locale("en"):
        with pytest.raises(BusinessError, match="your own request"):
            approvals.approve(adjustment.approval_request_id, user("manager"))
        with pytest.raises(BusinessError, match="may not decide"):
            approvals.approve(adjustment.approval_request_id, user("sales"))
    assert prices("1栋-1单元-101")[0] == D("33600")
    # An adjustment made by the admin is approved by a manager.
    own = submit(("1栋-1单元-102",), who="admin")
    approvals.approve(own.approval_request_id, user("manager"))
    db.session.expire_all()
    assert prices("1栋-1单元-102")[0] == D("33784")


def test_rejected_or_withdrawn_adjustment_changes_nothing(ctx):
    before = {c: prices(c) for c in CODES}
    history = db.session.query(PriceHistory).count()
    rejected = submit()
    approvals.reject(rejected.approval_request_id, user("admin"), "涨幅过大")
    withdrawn = submit()
    approvals.withdraw(withdrawn.approval_request_id, user("manager"))
    db.session.expire_all()
    assert {c: prices(c) for c in CODES} == before
    assert db.session.query(PriceHistory).count() == history
    assert db.session.get(PriceAdjustment, rejected.id).status == "rejected"
    assert db.session.get(PriceAdjustment, withdrawn.id).status == "withdrawn"
    with force_locale("en"), pytest.raises(BusinessError, match="already been rejected"):
        approvals.approve(rejected.approval_request_id, user("admin"))


@pytest.mark.parametrize("kwargs,message", [
    ({"value": "-80"}, "between -50%"),
    ({"value": "三"}, "as a number"),
    ({"method": "amount", "value": "-99999999"}, "at most 100,000"),
    ({"title": "  "}, "Enter a title"),
    ({"rooms": []}, "Select at least one room"),
])
def test_bad_input_is_refused_and_leaves_nothing(ctx, kwargs, message):
    before = counts()
    args = dict(method="percent", value="3", title="调价", rooms=ids(*CODES))
    args.update(kwargs)
    with force_locale("en"), pytest.raises(BusinessError, match=message):
        price_adjustment.create(project().id, args["rooms"], args["method"], args["value"], args["title"],
                                user("manager"))
    assert counts() == before


def test_rooms_of_another_project_are_refused(ctx):
    other = other_project_room()
    before = counts()
    with force_locale("en"), pytest.raises(BusinessError, match="another project"):
        price_adjustment.create(project().id, ids("1栋-1单元-101") + [other], "percent", "3", "调价",
                                user("manager"))
    assert counts() == before


# ---- pages -------------------------------------------------------------------------------------

def test_submit_on_the_reprice_page_then_approve_in_the_inbox(client, app):
    login(client, "manager")
    with app.app_context():
        pid, rid = project().id, ids("1栋-1单元-101")
    page = "/repricing/%d/?codes=1栋-1单元-101&method=percent&value=3" % pid
    html = client.get(page).get_data(as_text=True)
    assert "¥4,104,509.00" in html and "¥3,981,374.00" in html
    token = form_token(client, page)
    response = client.post("/repricing/%d/submit" % pid, data={"csrf_token": token, "room": rid, "method": "percent",
                                                               "value": "3", "title": "高层调价", "reason": ""})
    assert response.status_code == 302 and "/priceadjustmentview/show/" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "高层调价" in html and "¥4,104,509.00" in html and "/approvals/show/" in html
    with app.app_context():
        adjustment = db.session.query(PriceAdjustment).filter_by(title="高层调价").one()
        request_id = adjustment.approval_request_id
        assert prices("1栋-1单元-101")[0] == D("33600")
    client.get("/logout/")
    login(client, "admin")
    token = form_token(client, "/approvals/show/%d" % request_id)
    client.post("/approvals/approve/%d" % request_id, data={"csrf_token": token, "comment": ""})
    with app.app_context():
        assert prices("1栋-1单元-101") == (D("34608"), D("4104509"), D("3981374"))
        room_id = room("1栋-1单元-101").id
    html = client.get("/roomview/show/%d" % room_id).get_data(as_text=True)
    assert "¥33,600.00" in html and "¥34,608.00" in html and "高层调价" in html


def test_bad_submit_on_the_page_is_refused(client, app):
    login(client, "manager")
    with app.app_context():
        pid = project().id
        before = counts()
    token = form_token(client, "/repricing/%d/?codes=1栋-1单元-101&method=percent&value=3" % pid)
    for data in ({"room": "x", "method": "percent", "value": "3", "title": "t"},
                 {"room": "999999", "method": "percent", "value": "3", "title": "t"},
                 {"method": "percent", "value": "3", "title": "t"},
                 {"room": "1", "method": "percent", "value": "abc", "title": "t"}):
        data["csrf_token"] = token
        response = client.post("/repricing/%d/submit" % pid, data=data)
        assert response.status_code == 302 and "/repricing/" in response.headers["Location"]
    assert client.post("/repricing/999999/submit", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert counts() == before


# ---- API ---------------------------------------------------------------------------------------

def test_api_creates_reads_and_refuses(client, app):
    headers = api_token(client, "manager")
    with app.app_context():
        pid, rids = project().id, ids(*CODES)
        other = other_project_room()
        before = counts()
    body = {"project": pid, "title": "API 调价", "method": "amount", "value": "100", "rooms": rids}
    for bad in ({"rooms": [999999]}, {"rooms": "1,2"}, {"rooms": [other]}, {"value": "-1e9"}, {"value": "x"},
                {"method": "free"}, {"project": 999999}, {"project": "abc"}, {"rooms": [None]}, {"title": 5}):
        response = client.post("/api/v1/price_adjustments/", json=dict(body, **bad), headers=headers)
        assert response.status_code == 422, (bad, response.status_code, response.get_data(as_text=True))
    assert client.post("/api/v1/price_adjustments/", data="not json", headers=headers).status_code == 400
    with app.app_context():
        assert counts() == before
    response = client.post("/api/v1/price_adjustments/", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    new_id = response.json["id"]
    shown = client.get("/api/v1/price_adjustments/%d" % new_id, headers=headers).json["result"]
    assert shown["status"] == "pending" and shown["room_count"] == 3
    lines = client.get('/api/v1/price_adjustment_lines/?q=(filters:!((col:adjustment,opr:rel_o_m,value:%d)))' % new_id,
                       headers=headers)
    assert lines.status_code == 200 and lines.json["count"] == 3
    assert client.put("/api/v1/price_adjustments/%d" % new_id, json={"title": "x"}, headers=headers).status_code in (
        403, 405)
    assert client.get("/api/v1/price_adjustments/999999", headers=headers).status_code == 404
    history = client.get("/api/v1/price_history/", headers=headers)
    assert history.status_code == 200 and history.json["count"] == 2
    sales = api_token(client, "sales")
    assert client.post("/api/v1/price_adjustments/", json=body, headers=sales).status_code == 403
    assert client.get("/api/v1/price_history/", headers=sales).status_code == 200


def test_adjustment_list_has_no_query_per_row(client, app):
    login(client, "manager")
    with app.app_context():
        for _ in range(3):
            price_adjustment.create(project().id, ids("1栋-1单元-101"), "percent", "1", "调价", user("admin"))
    import sqlalchemy as sa
    with app.app_context():
        engine = db.engine
    statements = []

    def count(*_args, **_kw):
        statements.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        client.get("/priceadjustmentview/list/")
        few = len(statements)
        with app.app_context():
            for _ in range(5):
                price_adjustment.create(project().id, ids("1栋-1单元-102"), "percent", "1", "调价", user("admin"))
        statements.clear()
        client.get("/priceadjustmentview/list/")
        assert len(statements) == few
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
