import pytest

from app.core.errors import BusinessError
from app.core.models import LookupList, LookupValue
from app.core.services import lookup, setup
from app.extensions import db
from tests.conftest import form_token


def test_seeded_lists_exist(ctx):
    codes = {l.code for l in db.session.query(LookupList)}
    for code in ("customer_level", "region", "visit_channel", "gift", "mortgage_bank", "complaint_type",
                 "decoration", "rename_reason", "cancel_reason", "sales_cost_type", "orientation", "view"):
        assert code in codes
    assert [v.name for v in lookup.active_values("orientation")][:2] == ["南", "北"]


def test_seeding_twice_adds_nothing(ctx):
    before = db.session.query(LookupValue).count()
    setup.seed_lookups()
    setup.seed_roles()
    assert db.session.query(LookupValue).count() == before


def test_value_in_use_cannot_be_deleted_but_can_be_disabled(admin_client, app):
    with app.app_context():
        value = db.session.query(LookupValue).filter_by(list_code="region", name="华南区域").one()
        pk = value.id
        assert lookup.usage_count(value) >= 1
    response = admin_client.post("/lookupvalueview/delete/%d" % pk,
                                 data={"csrf_token": form_token(admin_client, "/lookupvalueview/list/")},
                                 follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        value = db.session.get(LookupValue, pk)
        assert value is not None
        value.active = False
        db.session.commit()
        assert "华南区域" not in [v.name for v in lookup.active_values("region")]


def test_unused_value_can_be_deleted(ctx):
    value = db.session.query(LookupValue).filter_by(list_code="gift", name="装修礼包").one()
    lookup.check_value_deletable(value)


def test_duplicate_value_refused(ctx):
    with pytest.raises(BusinessError):
        lookup.check_value_unique(LookupValue(list_code="view", name="江景"))


def test_get_delete_is_not_allowed(admin_client, app):
    with app.app_context():
        pk = db.session.query(LookupValue).filter_by(list_code="gift", name="装修礼包").one().id
    admin_client.get("/lookupvalueview/delete/%d" % pk)
    with app.app_context():
        assert db.session.get(LookupValue, pk) is not None
