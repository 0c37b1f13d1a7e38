"""Pricing factors: a room's prices from its project's factors, to the fen and to the yuan, with
the step-by-step explanation; previews change nothing."""
import pytest
from flask_babel import force_locale

from app.core.errors import BusinessError
from app.extensions import db
from app.inventory.models import Room
from app.inventory.models.pricing import PriceFactor
from app.inventory.services import pricing
from tests.conftest import api_token, form_token, login
from tests.inventory.helpers import D, building, homes, lookup, project, room
from tests.inventory.pricing_helpers import factor, ids, other_project_room, prices


def explain(code, method="factors", value=None):
    return pricing.explain(project(), room(code).id, method, value)[1]


def test_demo_factors_reproduce_the_demo_prices(ctx):
    """Every room not touched by the demo adjustment gets its current prices back from the factors."""
    p = project()
    all_ids = [r.id for r in db.session.query(Room).filter_by(project_id=p.id)]
    lines = pricing.preview(p, all_ids, "factors", None)
    assert len(lines) == 86
    adjusted = {"1栋-2单元-902", "1栋-2单元-1002"}
    for line in lines:
        f, r = line.facts, line.result
        if f.code in adjusted:
            continue
        assert (r.unit, r.total) == (f.unit, f.total), f.code
        if f.floor_price != r.floor_price:
            # The demo loader rounds 97% half to even; the project's rule rounds half up.
            assert f.total * D("0.97") % 1 == D("0.5") and r.floor_price == f.floor_price + 1, f.code


def test_steps_of_a_south_facing_river_view_room_to_the_yuan(ctx):
    result = explain("1栋-1单元-1001")
    assert (result.unit, result.total, result.floor_price) == (D("34950"), D("4145070"), D("4020718"))
    running = [value for _label, _detail, value in result.steps]
    # base → floor step (+150 × 9) → 南 +500 → 江景 +300 → rounded → total → floor price
    assert running == [D("32800"), D("34150"), D("34650"), D("34950"), D("34950"), D("4145070"), D("4020718")]
    assert result.steps[1][1] == "150.00 × (10 − 1) = 1,350.00/㎡"
    assert result.steps[5][1] == "118.60㎡ × 34,950.00"


def _coefficient_view():
    view = factor("view")
    view.method, view.value = "coefficient", D("1.013")
    db.session.commit()


def test_coefficients_apply_after_amounts_rounded_once_to_the_yuan(ctx):
    _coefficient_view()
    result = explain("1栋-1单元-1001")
    # (32800 + 1350 + 500) × 1.013 = 35100.45 → 35100; 118.60 × 35100 = 4162860; × 0.97 = 4037974.2
    assert [v for _l, _d, v in result.steps][:4] == [D("32800"), D("34150"), D("34650"), D("35100.45")]
    assert (result.unit, result.total, result.floor_price) == (D("35100"), D("4162860"), D("4037974"))


def test_the_same_room_to_the_fen(ctx):
    _coefficient_view()
    project().price_rounding = "fen"
    db.session.commit()
    result = explain("1栋-1单元-1001")
    # 35100.45; 118.60 × 35100.45 = 4162913.37; × 0.97 = 4038025.9689
    assert (result.unit, result.total, result.floor_price) == (D("35100.45"), D("4162913.37"), D("4038025.97"))


def test_half_a_yuan_rounds_up(ctx):
    # 1栋-1单元-1002: 34150/m²; +2% = 34833; 89.50 × 34833 = 3117553.5 → 3117554
    facts = pricing.room_facts(project().id, ids("1栋-1单元-1002"))[0]
    result = pricing.compute(facts, "percent", D("2"), "yuan", pricing.load_factors(project().id))
    assert (result.unit, result.total, result.floor_price) == (D("34833"), D("3117554"), D("3024027"))


def test_floor_step_as_a_coefficient_and_a_floor_table(ctx):
    step = factor("floor_step")
    step.method, step.value = "coefficient", D("1.005")
    db.session.add(PriceFactor(project=project(), kind="floor", method="amount", value=D("-1000"), floor_from=1,
                               floor_to=2, property_type=homes()))
    db.session.commit()
    # floor 10: (32800 + 500 + 300) × (1 + 0.005 × 9) = 33600 × 1.045 = 35112
    assert explain("1栋-1单元-1001").unit == D("35112")
    # floor 2: (32800 − 1000 + 500 + 300) × 1.005 = 32763
    result = explain("1栋-1单元-201")
    assert result.unit == D("32763")
    assert result.steps[1][0].startswith("楼层") or "Floor" in result.steps[1][0]


def test_custom_factor_by_number_ending_and_by_chosen_rooms(ctx):
    corner = db.session.query(PriceFactor).filter_by(kind="custom").one()
    corner.active = True
    street = PriceFactor(project=project(), kind="custom", name="临街", method="amount", value=D("300"),
                         rooms=[room("1栋-1单元-102")])
    db.session.add(street)
    db.session.commit()
    # 1001: 34950 × 1.01 (边套, numbers ending in 01) = 35299.5 → 35300
    assert explain("1栋-1单元-1001").unit == D("35300")
    # 102: 32800 + 0 + 300 (临街); 东南/园林 gets nothing else
    assert explain("1栋-1单元-102").unit == D("33100")
    assert explain("1栋-1单元-202").unit == D("32950")


def test_the_most_specific_base_price_wins(ctx):
    db.session.add(PriceFactor(project=project(), kind="base", method="amount", value=D("33000"),
                               building=building("2栋"), property_type=homes()))
    db.session.commit()
    assert explain("2栋-1单元-101").steps[0][2] == D("33000")
    assert explain("1栋-1单元-101").steps[0][2] == D("32800")


def test_a_room_without_a_base_price_is_reported(ctx):
    db.session.query(PriceFactor).filter_by(kind="base", name="车位基价").one().active = False
    db.session.commit()
    lines = pricing.preview(project(), ids("1栋-B001", "1栋-1单元-101"), "factors", None)
    assert {line.facts.code: line.skipped for line in lines} == {"1栋-B001": "no_base", "1栋-1单元-101": "unchanged"}


def test_floor_price_keeps_the_current_ratio_without_a_factor(ctx):
    # Parking: 165,000 of 180,000; +10% → 198,000 and 181,500
    line = pricing.preview(project(), ids("1栋-B001"), "percent", "10")[0]
    assert (line.result.unit, line.result.total, line.result.floor_price) == (D("15840"), D("198000"), D("181500"))


def test_preview_changes_nothing(ctx):
    before = prices("1栋-1单元-101")
    lines = pricing.preview(project(), ids("1栋-1单元-101"), "percent", "3")
    assert (lines[0].result.unit, lines[0].result.total, lines[0].result.floor_price) == (
        D("34608"), D("4104509"), D("3981374"))
    db.session.rollback()
    assert prices("1栋-1单元-101") == before


def test_amount_per_square_metre(ctx):
    line = pricing.preview(project(), ids("1栋-1单元-101"), "amount", "-200")[0]
    assert (line.result.unit, line.result.total, line.result.floor_price) == (D("33400"), D("3961240"), D("3842403"))


@pytest.mark.parametrize("method,value,message", [
    ("percent", "abc", "as a number"),
    ("percent", "-60", r"between -50% and \+100%"),
    ("percent", "0", "changes nothing"),
    ("percent", "", "Enter the percentage"),
    ("amount", "NaN", "as a number"),
    ("cheaper", "3", "Choose how the prices change"),
])
def test_bad_change_is_refused(ctx, method, value, message):
    with force_locale("en"), pytest.raises(BusinessError, match=message):
        pricing.preview(project(), ids("1栋-1单元-101"), method, value)


def test_bad_selection_is_refused(ctx):
    other = other_project_room()
    with force_locale("en"):
        with pytest.raises(BusinessError, match="Select at least one room"):
            pricing.preview(project(), [], "percent", "3")
        with pytest.raises(BusinessError, match="do not exist: 999999"):
            pricing.preview(project(), [999999], "percent", "3")
        with pytest.raises(BusinessError, match="another project: A座-101"):
            pricing.preview(project(), [other], "percent", "3")
        with pytest.raises(BusinessError, match="whole numbers"):
            pricing.preview(project(), ["x"], "percent", "3")


@pytest.mark.parametrize("kind,method,value,message", [
    ("base", "amount", "-100", "greater than zero"),
    ("orientation", "coefficient", "0", "greater than 0"),
    ("floor_price", "coefficient", "1.2", "at most 1"),
    ("floor", "amount", "100", "needs its floor"),
    ("custom", "amount", "100", "Give the factor a name"),
])
def test_bad_factor_is_refused(ctx, kind, method, value, message):
    f = PriceFactor(project=project(), kind=kind, method=method, value=value)
    with force_locale("en"), pytest.raises(BusinessError, match=message):
        pricing.check_factor(f)
    db.session.rollback()


# ---- pages and API --------------------------------------------------------------------------------

def test_factor_page_refuses_a_negative_base_and_saves_nothing(client, app):
    login(client, "manager")
    client.get("/lang/en")
    with app.app_context():
        before = db.session.query(PriceFactor).count()
        data = {"project": str(project().id), "kind": "base", "method": "amount", "value": "-5", "sort_order": "0",
                "active": "y"}
    data["csrf_token"] = form_token(client, "/pricefactorview/add")
    html = client.post("/pricefactorview/add", data=data, follow_redirects=True).get_data(as_text=True)
    assert "greater than zero" in html
    with app.app_context():
        assert db.session.query(PriceFactor).count() == before


def test_factor_list_and_project_tab(client, app):
    login(client, "manager")
    html = client.get("/pricefactorview/list/").get_data(as_text=True)
    assert "¥32,800.00/㎡" in html and "+150.00/㎡" in html and "×0.97" in html
    with app.app_context():
        pid = project().id
    html = client.get("/projectview/show/%d" % pid).get_data(as_text=True)
    assert "/repricing/%d/" % pid in html and "住宅基价" in html


def test_factor_api_reads_writes_and_refuses(client, app):
    headers = api_token(client, "manager")
    with app.app_context():
        body = {"project": project().id, "kind": "orientation", "method": "amount", "value": "200",
                "orientation": lookup("orientation", "东南").id, "active": True, "sort_order": 5}
    response = client.post("/api/v1/price_factors/", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert client.get("/api/v1/price_factors/%d" % response.json["id"], headers=headers).json["result"]["value"] in (
        "200.0000", 200.0, "200")
    for bad in ({"value": "-1", "kind": "base"}, {"value": "abc"}, {"orientation": 99999}, {"project": 99999}):
        response = client.post("/api/v1/price_factors/", json=dict(body, **bad), headers=headers)
        assert 400 <= response.status_code < 500, (bad, response.status_code)
    sales = api_token(client, "sales")
    assert client.post("/api/v1/price_factors/", json=body, headers=sales).status_code == 403
    assert client.get("/api/v1/price_factors/", headers=sales).status_code == 403


def test_reprice_page_shows_old_new_and_the_steps(client, app):
    login(client, "manager")
    with app.app_context():
        pid, b1, rid = project().id, building("1栋").id, room("1栋-1单元-1001").id
    html = client.get("/repricing/%d/?building=%d&method=factors&explain=%d" % (pid, b1, rid)).get_data(as_text=True)
    assert "1栋-1单元-1001" in html and "¥4,145,070.00" in html
    assert "150.00 × (10 − 1) = 1,350.00/㎡" in html
    html = client.get("/repricing/%d/?building=%d&method=percent&value=abc" % (pid, b1)).get_data(as_text=True)
    assert "loupan-reprice-error" in html
    assert client.get("/repricing/%d/?floor_from=x&method=percent&value=3" % pid).status_code == 200
    assert client.get("/repricing/999999/").status_code == 404


def test_sales_cannot_reprice(client, app):
    login(client, "sales")
    with app.app_context():
        pid = project().id
    assert client.get("/repricing/%d/" % pid).status_code in (302, 403)
