"""The settings' REST resources answer with the pages' permissions and the same refusals."""
from app.core.models import AuditLog, LookupValue
from app.extensions import db
from tests.conftest import api_token


def test_lookup_values_over_api(client, app):
    headers = api_token(client, "admin")
    listing = client.get("/api/v1/lookup_values/?q=(filters:!((col:list_code,opr:eq,value:orientation)))",
                         headers=headers)
    assert listing.status_code == 200
    assert "南" in [row["name"] for row in listing.json["result"]]
    with app.app_context():
        in_use = db.session.query(LookupValue).filter_by(list_code="region", name="华南区域").one().id
    refused = client.delete("/api/v1/lookup_values/%d" % in_use, headers=headers)
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.get(LookupValue, in_use) is not None
    with app.app_context():
        from app.core.models import LookupList
        orientation = db.session.query(LookupList).filter_by(code="orientation").one().id
    duplicate = client.post("/api/v1/lookup_values/", json={"lookup_list": orientation, "name": "南"},
                            headers=headers)
    assert duplicate.status_code in (400, 422)


def test_custom_field_definition_is_validated_over_api(client):
    headers = api_token(client, "admin")
    bad = client.post("/api/v1/custom_fields/", json={"entity": "employee", "name": "Bad Name", "label": "x",
                                                      "field_type": "text"}, headers=headers)
    assert bad.status_code == 422
    good = client.post("/api/v1/custom_fields/", json={"entity": "employee", "name": "wechat", "label": "微信号",
                                                       "field_type": "text"}, headers=headers)
    assert good.status_code == 201, good.get_data(as_text=True)


def test_audit_log_is_readable_not_writable_over_api(client, app):
    headers = api_token(client, "admin")
    listing = client.get("/api/v1/audit_log/", headers=headers)
    assert listing.status_code == 200 and listing.json["count"] > 0
    with app.app_context():
        pk = db.session.query(AuditLog.id).first()[0]
    assert client.delete("/api/v1/audit_log/%d" % pk, headers=headers).status_code in (404, 405)
    assert client.put("/api/v1/audit_log/%d" % pk, json={"username": "x"}, headers=headers).status_code in (404, 405)
    sales = api_token(client, "sales")
    assert client.get("/api/v1/audit_log/", headers=sales).status_code == 403
