"""Finance settings per project (/finance/settings/): rules in services/settings.py, the screen's
rights (finance and admins edit, managers read) and what the late fees take from them."""
import pytest

from app.core.errors import BusinessError
from app.extensions import db
from app.finance.models import FinanceSetting
from app.finance.services import common, settings as finance_settings
from app.inventory.models import Project
from tests.conftest import form_token, login
from tests.finance.helpers import D


def project_id(code="GZ-YJ"):
    return db.session.query(Project.id).filter(Project.code == code).scalar()


def test_save_and_read_back(app, ctx):
    pid = project_id()
    finance_settings.save(pid, late_fee_rate=D("0.0003"), grace_days=5, refund_days=15, area_band=D("2"),
                          mortgage_stage_days={"collecting": 10, "submitted": ""})
    s = common.settings_for(pid)
    assert s.late_fee_rate == D("0.000300") and s.grace_days == 5 and s.refund_days == 15
    assert s.area_band == D("2.00") and s.mortgage_stage_days == {"collecting": 10}
    assert finance_settings.percent(s.late_fee_rate) == "0.03%"
    assert finance_settings.stage_days_of(s.row)["collecting"] == 10


@pytest.mark.parametrize("values, words", [
    ({"late_fee_rate": "0.02"}, ("0.01", "1%")),
    ({"late_fee_rate": "-0.0001"}, ("0.01", "1%")),
    ({"late_fee_rate": "abc"}, ("number", "数字")),
    ({"late_fee_rate": "0.0000001"}, ("six", "六位")),
    ({"grace_days": -1}, ("days", "天")),
    ({"refund_days": "x"}, ("days", "天")),
    ({"area_band": "11"}, ("10",)),
    ({"area_over_factor": "6"}, ("5",)),
    ({"area_under_factor": "-1"}, ("5",)),
    ({"area_basis": "volume"}, ("gross", "建筑面积")),
    ({"cancel_interest_rate": "2"}, ("yearly", "年")),
    ({"mortgage_stage_days": {"collecting": -3}}, ("days", "天")),
])
def test_bad_values_are_refused_and_nothing_is_stored(app, ctx, values, words):
    pid = project_id()
    before = db.session.query(FinanceSetting).count()
    with pytest.raises(BusinessError) as refused:
        finance_settings.save(pid, **values)
    assert any(w in str(refused.value) for w in words), str(refused.value)
    assert db.session.query(FinanceSetting).count() == before


def test_the_screen_shows_the_rate_per_day_and_refuses_bad_input(app, client):
    assert login(client, "finance").status_code == 302
    page = client.get("/finance/settings/list/")
    assert page.status_code == 200
    with app.app_context():
        pid = project_id()
    token = form_token(client, "/finance/settings/add")
    data = {"csrf_token": token, "project": str(pid), "late_fee_rate": "0.05", "grace_days": "3",
            "refund_days": "30", "area_band": "3", "area_over_factor": "0", "area_under_factor": "2",
            "area_basis": "gross", "cancel_interest_rate": "0.0435", "days_collecting": "12"}
    refused = client.post("/finance/settings/add", data=data, follow_redirects=True)
    text = refused.get_data(as_text=True)
    assert any(w in text for w in ("1%", "0.01"))
    with app.app_context():
        assert db.session.query(FinanceSetting).filter_by(project_id=pid).count() == 0
    data["late_fee_rate"] = "0.0005"
    client.post("/finance/settings/add", data=data, follow_redirects=True)
    with app.app_context():
        row = db.session.query(FinanceSetting).filter_by(project_id=pid).one()
        assert row.late_fee_rate == D("0.000500") and row.grace_days == 3
        assert row.mortgage_stage_days == {"collecting": 12}
        row_id = row.id
    listing = client.get("/finance/settings/list/").get_data(as_text=True)
    assert "0.05%" in listing
    edit = client.get("/finance/settings/edit/%d" % row_id).get_data(as_text=True)
    assert 'value="12"' in edit
    # a second row for the same project is refused
    data["csrf_token"] = form_token(client, "/finance/settings/add")
    text = client.post("/finance/settings/add", data=data, follow_redirects=True).get_data(as_text=True)
    assert any(w in text for w in ("already", "已有"))
    with app.app_context():
        assert db.session.query(FinanceSetting).filter_by(project_id=pid).count() == 1
        db.session.query(FinanceSetting).filter_by(project_id=pid).delete()
        db.session.commit()


def test_managers_read_salespeople_do_not(app, client):
    assert login(client, "manager").status_code == 302
    assert client.get("/finance/settings/list/").status_code == 200
    add = client.get("/finance/settings/add")
    assert add.status_code in (302, 403)
    client.get("/logout/")
    assert login(client, "sales").status_code == 302
    assert client.get("/finance/settings/list/").status_code in (302, 403)
