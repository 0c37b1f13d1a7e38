"""Area settlement (面积补差): the article-20 arithmetic by hand, the all-or-nothing import, and the
approval that turns the lines into receivables and refunds with their deadline."""
import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa

from app.core import clock
from app.core.errors import BusinessError
from app.core.models import ApprovalRequest
from app.core.services import approvals
from app.extensions import db
from app.finance.models import AreaSettlement, AreaSurvey, FinanceSetting, Receivable, Refund
from app.finance.services import receipts, settlement, settlement_print
from app.inventory.models import Room
from tests.finance.helpers import D, as_user, counts, days_ago, signed

P = D("20000.00")


def user(name):
    from flask import current_app
    return current_app.appbuilder.sm.find_user(username=name)


def _rows(*rows):
    return ("房号,实测建筑面积,实测套内面积\n" + "\n".join(",".join(str(c) for c in r) for r in rows)).encode("utf-8")


def _xlsx(rows):
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(["房号", "实测建筑面积", "实测套内面积"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _survey_counts():
    return (db.session.query(sa.func.count(AreaSurvey.id)).scalar(),
            db.session.query(sa.func.count(AreaSettlement.id)).scalar()) + counts()


def _deals(app, n):
    """n signed deals on rooms of one building, each 100.00㎡ (inner 80.00㎡) for ¥2,000,000.00."""
    out = [signed(app, n=i) for i in range(n)]
    building_id = out[0].room.building_id
    assert all(d.room.building_id == building_id for d in out), "the first rooms of 云璟花园 share a building"
    for d in out:
        d.room.area_gross, d.room.area_inner = D("100.00"), D("80.00")
        d.total = D("2000000.00")
    db.session.commit()
    return out


# ---------------------------------------------------------------- the arithmetic by hand

@pytest.mark.parametrize("surveyed, within, beyond, amount, may_cancel", [
    ("102.00", "40000.00", "0.00", "40000.00", False),        # +2%: the buyer pays 2㎡
    ("103.00", "60000.00", "0.00", "60000.00", False),        # exactly +3%: the band is included
    ("104.00", "60000.00", "0.00", "60000.00", True),         # +4%: 3㎡ paid, the 4th borne by the developer
    ("97.00", "-60000.00", "0.00", "-60000.00", False),       # exactly −3%
    ("95.00", "-60000.00", "-80000.00", "-140000.00", True),  # −5%: 3㎡ refunded + 2㎡ twice over
    ("100.00", "0.00", "0.00", "0.00", False),
])
def test_article_20_default_rule(surveyed, within, beyond, amount, may_cancel):
    assert settlement.compute(D("100.00"), D(surveyed), P, D("3")) == (D(within), D(beyond), D(amount), may_cancel)


def test_a_project_rule_with_its_own_band_and_factors():
    # Band 2%, the buyer pays half of a gain beyond it, a loss beyond it is refunded 1.5 times.
    # +4㎡: 2㎡ × 20,000 = 40,000 within; 2㎡ × 20,000 × 0.5 = 20,000 beyond → 60,000.
    assert settlement.compute(D("100.00"), D("104.00"), P, D("2"), D("0.5"), D("1.5")) == (
        D("40000.00"), D("20000.00"), D("60000.00"), True)
    # −3㎡: 2㎡ refunded = 40,000; 1㎡ × 20,000 × 1.5 = 30,000 → −70,000.
    assert settlement.compute(D("100.00"), D("97.00"), P, D("2"), D("0.5"), D("1.5")) == (
        D("-40000.00"), D("-30000.00"), D("-70000.00"), True)


def test_rounding_half_up_once_per_part():
    # 89.37㎡ at ¥31,234.57: +0.45㎡ → 14,055.5565 → ¥14,055.56; band 3% → no beyond part.
    assert settlement.compute(D("89.37"), D("89.82"), D("31234.57"), D("3"))[2] == D("14055.56")
    # +3.10㎡ beyond 3% of 89.37 (2.6811㎡): within 2.6811 × 31,234.57 = 83,743.005627 → 83,743.01.
    within, beyond, amount, may_cancel = settlement.compute(D("89.37"), D("92.47"), D("31234.57"), D("3"))
    assert (within, beyond, amount, may_cancel) == (D("83743.01"), D("0.00"), D("83743.01"), True)
    # 2,793,506.00 / 89.37 = 31,257.7598… → ¥31,257.76.
    assert settlement.unit_price(D("2793506.00"), D("89.37")) == D("31257.76")


# ---------------------------------------------------------------- the import

def test_import_computes_each_signed_room(app, ctx):
    deals = _deals(app, 4)
    building = deals[0].room.building
    data = _rows(*[(d.room.code, s, "") for d, s in zip(deals, ("102.00", "104.00", "95.00", "103.00"))])
    with as_user(app, "finance") as finance:
        survey = settlement.import_survey(building, "实测.csv", data, user=finance)
    lines = {l.deal_id: l for l in survey.lines}
    assert survey.status == "draft" and survey.rule["band"] == "3.00" and survey.rule["basis"] == "gross"
    got = [(lines[d.id].unit_price, lines[d.id].amount, lines[d.id].may_cancel) for d in deals]
    assert got == [(P, D("40000.00"), False), (P, D("60000.00"), True), (P, D("-140000.00"), True),
                   (P, D("60000.00"), False)]
    assert lines[deals[2].id].ratio_gross == D("-0.050000") and lines[deals[2].id].ratio_inner is None
    t = settlement.totals(survey)
    assert (t["pay"], t["refund"], t["may_cancel"]) == (D("160000.00"), D("140000.00"), 2)


def test_import_of_an_excel_file_with_a_project_rule(app, ctx):
    deals = _deals(app, 2)
    project_id = deals[0].project_id
    db.session.add(FinanceSetting(project_id=project_id, area_band=D("2"), area_over_factor=D("0.5"),
                                  area_under_factor=D("1.5"), area_basis="inner"))
    db.session.commit()
    # Inner basis: 80.00㎡ contract, unit price 2,000,000 / 80 = 25,000.00.
    # +3.20㎡ (4%): 1.60㎡ × 25,000 = 40,000 + 1.60 × 25,000 × 0.5 = 20,000 → 60,000.
    # −2.40㎡ (−3%): 1.60㎡ × 25,000 = 40,000 + 0.80 × 25,000 × 1.5 = 30,000 → −70,000.
    data = _xlsx([(deals[0].room.code, 104.5, 83.2), (deals[1].room.code, "97.00", "77.60")])
    with as_user(app, "finance") as finance:
        survey = settlement.import_survey(deals[0].room.building, "实测.xlsx", data, user=finance)
    lines = {l.deal_id: l for l in survey.lines}
    assert [(lines[d.id].unit_price, lines[d.id].within_amount, lines[d.id].beyond_amount, lines[d.id].amount)
            for d in deals] == [(D("25000.00"), D("40000.00"), D("20000.00"), D("60000.00")),
                                (D("25000.00"), D("-40000.00"), D("-30000.00"), D("-70000.00"))]
    assert lines[deals[0].id].ratio_gross == D("0.045000") and lines[deals[0].id].ratio_inner == D("0.040000")


def test_rooms_without_a_signed_deal_only_record_their_area(app, ctx):
    deals = _deals(app, 1)
    other = db.session.query(Room).filter(Room.building_id == deals[0].room.building_id, Room.status == "available") \
        .order_by(Room.id).first()
    with as_user(app, "finance") as finance:
        survey = settlement.import_survey(deals[0].room.building, "a.csv",
                                          _rows((deals[0].room.code, "101", ""), (other.code, "90.10", "70.00"),
                                                ), user=finance)
    plain = [l for l in survey.lines if l.room_id == other.id][0]
    assert plain.deal_id is None and plain.amount is None and plain.surveyed_gross == D("90.10")


@pytest.mark.parametrize("rows, words", [
    ([("没有这个房间", "100", "")], ("unknown room", "没有这个房间")),
    ([("{code}", "abc", "")], ("not a positive number", "正数")),
    ([("{code}", "-5", "")], ("not a positive number", "正数")),
    ([("{code}", "0", "")], ("not a positive number", "正数")),
    ([("{code}", "100.123", "")], ("not a positive number", "正数")),
    ([("{code}", "100", ""), ("{code}", "101", "")], ("already on row 3", "第 3 行出现")),
    ([("{other_building}", "100", "")], ("another building", "其他楼栋")),
    ([("{code}", "1020", "")], ("more than half", "超过一半")),
])
def test_bad_files_are_refused_whole(app, ctx, rows, words):
    from app.inventory.models import Building
    deals = _deals(app, 2)
    room = deals[0].room
    other = db.session.query(Room).join(Building).filter(Room.project_id == room.project_id,
                                                         Room.building_id != room.building_id).first()
    good = (deals[1].room.code, "102", "")
    rows = [good] + [tuple(c.format(code=room.code, other_building=other.code if other else "x") for c in r)
                     for r in rows]
    before = _survey_counts()
    with as_user(app, "finance") as finance, pytest.raises(BusinessError) as e:
        settlement.import_survey(room.building, "bad.csv", _rows(*rows), user=finance)
    db.session.rollback()
    assert any(w in str(e.value) for w in words), str(e.value)
    assert re.search(r"row 3|第 3 行", str(e.value)), str(e.value)
    assert _survey_counts() == before


def test_many_bad_rows_are_named_twenty_at_most(app, ctx):
    deals = _deals(app, 1)
    rows = [("X%03d" % i, "100", "") for i in range(30)]
    with pytest.raises(BusinessError) as e:
        settlement.import_survey(deals[0].room.building, "bad.csv", _rows(*rows))
    db.session.rollback()
    assert "X019" in str(e.value) and "X020" not in str(e.value)
    assert re.search(r"10 more|另有 10", str(e.value))


def test_unreadable_files_are_refused(app, ctx):
    deals = _deals(app, 1)
    building = deals[0].room.building
    for name, data in (("a.xlsx", b"not a workbook"), ("a.txt", b"x"), ("a.csv", b""), ("a.csv", b"\n\n")):
        with pytest.raises(BusinessError):
            settlement.import_survey(building, name, data)
        db.session.rollback()
    assert db.session.query(AreaSurvey).count() == 0


def test_template_lists_the_rooms_with_their_contract_areas(app, ctx):
    from openpyxl import load_workbook
    deals = _deals(app, 1)
    building = deals[0].room.building
    sheet = load_workbook(io.BytesIO(settlement.template_xlsx(building))).active
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == db.session.query(Room).filter(Room.building_id == building.id).count()
    assert rows[deals[0].room.code][1] is None and rows[deals[0].room.code][3] == 100.0
    # The template as downloaded imports (blank rows skipped) once the surveyed areas are typed in.
    data = settlement.template_xlsx(building)
    book = load_workbook(io.BytesIO(data))
    for row in book.active.iter_rows(min_row=2):
        if row[0].value == deals[0].room.code:
            row[1].value = 101.5
    out = io.BytesIO()
    book.save(out)
    survey = settlement.import_survey(building, "t.xlsx", out.getvalue())
    assert [(l.room_id, l.amount) for l in survey.lines] == [(deals[0].room_id, D("30000.00"))]


# ---------------------------------------------------------------- approval

def _submitted(app, deals, areas):
    with as_user(app, "finance") as finance:
        survey = settlement.import_survey(deals[0].room.building, "s.csv",
                                          _rows(*[(d.room.code, a, "") for d, a in zip(deals, areas)]), user=finance)
        req = settlement.submit(survey, finance)
    return survey.id, req.id


def test_approval_makes_receivables_and_refunds_due_after_refund_days(app, ctx):
    deals = _deals(app, 3)
    survey_id, request_id = _submitted(app, deals, ("102.00", "95.00", "100.00"))
    assert db.session.get(AreaSurvey, survey_id).status == "pending"
    approvals.approve(request_id, user("manager"))
    survey = db.session.get(AreaSurvey, survey_id)
    due = clock.local_today() + dt.timedelta(days=30)
    assert survey.status == "approved"
    area = db.session.query(Receivable).filter(Receivable.kind == "area").all()
    assert [(r.deal_id, r.amount, r.label, r.collected_for_others, r.due_date, r.status) for r in area] == [
        (deals[0].id, D("40000.00"), "面积补差款", False, due, "open")]
    refund = db.session.query(Refund).filter(Refund.kind == "area_settlement").one()
    line = [l for l in survey.lines if l.deal_id == deals[1].id][0]
    assert (refund.deal_id, refund.amount, refund.status, refund.due_date, refund.settlement_id, refund.request_id) \
        == (deals[1].id, D("140000.00"), "approved", due, line.id, request_id)
    assert refund.number == "%s-TK-%06d" % (deals[1].project.code, refund.seq)
    assert line.refund_due_on == due
    assert [l for l in survey.lines if l.deal_id == deals[0].id][0].receivable_id == area[0].id
    # Nothing for the room that measured as contracted.
    assert not db.session.query(Refund).filter(Refund.deal_id == deals[2].id).count()
    # The building is settled once.
    with pytest.raises(BusinessError):
        settlement.import_survey(deals[0].room.building, "again.csv", _rows((deals[0].room.code, "101", "")))
    db.session.rollback()


def test_project_refund_days_set_the_deadline(app, ctx):
    deals = _deals(app, 1)
    db.session.add(FinanceSetting(project_id=deals[0].project_id, refund_days=15))
    db.session.commit()
    survey_id, request_id = _submitted(app, deals, ("96.00",))
    approvals.approve(request_id, user("manager"))
    assert db.session.query(Refund).filter(Refund.kind == "area_settlement").one().due_date == \
        clock.local_today() + dt.timedelta(days=15)


def test_a_rejected_survey_changes_nothing(app, ctx):
    deals = _deals(app, 2)
    before = counts()
    survey_id, request_id = _submitted(app, deals, ("102.00", "95.00"))
    approvals.reject(request_id, user("manager"), "面积数据待复核")
    assert db.session.get(AreaSurvey, survey_id).status == "rejected"
    assert counts() == before
    # A new file may replace it, or it may be sent again.
    with as_user(app, "finance") as finance:
        settlement.submit(db.session.get(AreaSurvey, survey_id), finance)
        with pytest.raises(BusinessError):
            settlement.import_survey(deals[0].room.building, "b.csv", _rows((deals[0].room.code, "101", "")))
    db.session.rollback()


def test_only_a_draft_is_submitted_and_only_once(app, ctx):
    deals = _deals(app, 1)
    survey_id, request_id = _submitted(app, deals, ("102.00",))
    with as_user(app, "finance") as finance, pytest.raises(BusinessError):
        settlement.submit(db.session.get(AreaSurvey, survey_id), finance)
    db.session.rollback()
    assert db.session.query(ApprovalRequest).filter(ApprovalRequest.kind == "area_settlement").count() == 1


def test_a_deal_cancelled_meanwhile_blocks_the_approval(app, ctx):
    deals = _deals(app, 1)
    survey_id, request_id = _submitted(app, deals, ("102.00",))
    deals[0].state = "cancelled"
    db.session.commit()
    before = counts()
    with pytest.raises(BusinessError):
        approvals.approve(request_id, user("manager"))
    assert counts() == before and db.session.get(AreaSurvey, survey_id).status == "pending"


# ---------------------------------------------------------------- the cancel alternative and the notice

def test_cancel_alternative_refunds_the_price_paid_with_interest(app, ctx):
    deals = _deals(app, 1)
    deal = deals[0]
    with as_user(app, "finance"):
        receipts.receive(deal, "365000", "transfer", paid_on=days_ago(100))
    with as_user(app, "finance") as finance:
        survey = settlement.import_survey(deal.room.building, "c.csv", _rows((deal.room.code, "95", "")), user=finance)
    line = survey.lines[0]
    alt = settlement.cancel_alternative(line, clock.local_today())
    # 365,000 × 4.35% × 100 / 365 = 4,350.00
    assert (alt["paid"], alt["interest"], alt["total"]) == (D("365000.00"), D("4350.00"), D("369350.00"))
    context = settlement_print.context(survey, [line])
    notice = context["notices"][0]
    assert notice["abs_amount"] == D("140000.00") and not notice["pays"] and notice["ratio_gross"] == "-5.00%"
    assert notice["cancel"]["total"] == D("369350.00")


def test_notice_pdf_renders(app, ctx):
    from app.printing.services import seed_templates
    seed_templates()
    deals = _deals(app, 2)
    with as_user(app, "finance") as finance:
        survey = settlement.import_survey(deals[0].room.building, "n.csv",
                                          _rows((deals[0].room.code, "104", ""), (deals[1].room.code, "95", "")),
                                          user=finance)
    pdf = settlement_print.render(survey, survey.lines, printed_by="黄丽萍")
    assert pdf[:4] == b"%PDF"
    sample = settlement_print.sample_context()
    assert sample["notices"][0]["amount"] == D("-140000.00")


# ---------------------------------------------------------------- pages

def test_pages(app, client):
    from tests.conftest import form_token, login
    with app.app_context():
        deals = _deals(app, 2)
        building_id = deals[0].room.building_id
        project_id = deals[0].project_id
        codes = [d.room.code for d in deals]
        db.session.remove()
    login(client, "finance")
    assert client.get("/finance/settlements/").status_code == 200
    token = form_token(client, "/finance/settlements/new")
    bad = client.post("/finance/settlements/new", data={"csrf_token": token, "project": project_id,
                                                        "building": building_id,
                                                        "file": (io.BytesIO(_rows(("nope", "1", ""))), "x.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and re.search("unknown room|未知房间|不存在", bad.get_data(as_text=True))
    good = client.post("/finance/settlements/new", data={"csrf_token": token, "project": project_id,
                                                         "building": building_id,
                                                         "file": (io.BytesIO(_rows((codes[0], "102", ""),
                                                                                   (codes[1], "95", ""))), "x.csv")},
                       content_type="multipart/form-data")
    assert good.status_code == 302
    page = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "¥40,000.00" in page and "¥140,000.00" in page and "102.00㎡" in page and "-5.00%" in page
    assert client.get("/finance/settlements/template?building=%d" % building_id).status_code == 200
    assert client.get("/finance/settlements/999999").status_code == 404
    assert client.get("/finance/settlements/abc").status_code == 404
    assert client.get(good.headers["Location"] + "/print/999999").status_code == 404
    survey_id = int(good.headers["Location"].rstrip("/").split("/")[-1])
    answer = client.get("/api/v1/settlements/%d" % survey_id)
    assert answer.status_code == 200 and answer.json["totals"]["refund"] == "140000.00"
    assert [l["amount"] for l in answer.json["lines"]] == ["40000.00", "-140000.00"]
    assert client.get("/api/v1/settlements/999999").status_code == 404
    client.get("/logout/")
    login(client, "sales")
    assert client.get("/api/v1/settlements/%d" % survey_id).status_code in (401, 403)
    assert client.get("/finance/settlements/").status_code in (302, 403)


def test_api_submit(app, client):
    from tests.conftest import api_token
    with app.app_context():
        deals = _deals(app, 1)
        with as_user(app, "finance") as finance:
            survey = settlement.import_survey(deals[0].room.building, "s.csv", _rows((deals[0].room.code, "99", "")),
                                              user=finance)
        survey_id = survey.id
        db.session.remove()
    headers = api_token(client, "finance")
    answer = client.post("/api/v1/settlements/%d/submit" % survey_id, json={"reason": "测绘报告"}, headers=headers)
    assert answer.status_code == 201 and answer.json["kind"] == "area_settlement"
    again = client.post("/api/v1/settlements/%d/submit" % survey_id, json={}, headers=headers)
    assert again.status_code == 422 and again.json["message"]
    assert client.post("/api/v1/settlements/abc/submit", json={}, headers=headers).status_code == 404
