"""Print templates in the browser and over the API: CRUD with checks, preview, printing a real
record, permissions, and no server error for anything a user can send."""

from app.extensions import db
from app.core.models import AuditLog
from app.org.models import Department
from app.printing import kinds, services
from app.printing.models import PrintTemplate
from tests.conftest import api_token, form_token, login
from tests.printing.conftest import needs_poppler, pdf_text

GOOD_HTML = "<h1>{{ organisation }}</h1>{% for d in departments %}<p>{{ d.name }}</p>{% endfor %}"


def template_id(app, kind=kinds.ORG_ROSTER, name=None):
    with app.app_context():
        query = db.session.query(PrintTemplate).filter_by(kind=kind)
        if name:
            query = query.filter_by(name=name)
        return query.order_by(PrintTemplate.id).first().id


def dept_id(app, code):
    with app.app_context():
        return db.session.query(Department).filter_by(code=code).one().id


def add_form(client, **fields):
    url = "/printtemplateview/add"
    data = {"csrf_token": form_token(client, url), "kind": kinds.ORG_ROSTER, "name": "简版花名册",
            "description": "", "paper": "a4", "active": "y", "html": GOOD_HTML}
    data.update(fields)
    return client.post(url, data=data, follow_redirects=True)


def test_seed_templates_is_idempotent(app):
    with app.app_context():
        # The baseline was seeded like production (flask loupan seed); seeding again adds nothing.
        inserts = db.session.query(AuditLog).filter_by(table_name="print_template", action="insert")
        inserts_before = inserts.count()
        last_entry = db.session.query(db.func.max(AuditLog.id)).scalar() or 0
        db.session.query(PrintTemplate).delete()
        db.session.commit()
        # Other modules register kinds too (the inventory's price list); each kind with a default
        # template gets exactly one, org_roster among them.
        with_defaults = sorted(k.code for k in services.kinds() if k.default_template)
        assert kinds.ORG_ROSTER in with_defaults
        first = services.seed_templates()
        assert sorted(t.kind for t in first) == with_defaults
        assert services.seed_templates() == []
        assert db.session.query(PrintTemplate).count() == len(with_defaults)
        rows = db.session.query(PrintTemplate).filter_by(kind=kinds.ORG_ROSTER).all()
        assert len(rows) == 1 and rows[0].is_default and rows[0].active
        # the audit log recorded the inserts, the org_roster one among them
        assert inserts.count() == inserts_before + len(with_defaults)
        assert inserts.filter(AuditLog.id > last_entry, AuditLog.row_id == str(rows[0].id)).count() == 1


def test_admin_adds_a_template_in_the_browser(admin_client, app):
    response = add_form(admin_client)
    assert response.status_code == 200
    with app.app_context():
        row = db.session.query(PrintTemplate).filter_by(name="简版花名册").one()
        assert row.kind == kinds.ORG_ROSTER and row.html == GOOD_HTML


def test_broken_template_is_refused_with_the_message_and_the_edits_kept(admin_client, app):
    broken = "<p>\n{% for d in departments %}\n{{ d.name }"
    response = add_form(admin_client, html=broken)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "syntax" in html or "语法" in html
    assert "{{ d.name }" in html  # the textarea still holds what the admin typed
    with app.app_context():
        assert db.session.query(PrintTemplate).filter_by(name="简版花名册").count() == 0


def test_unsafe_template_is_refused_on_save(admin_client, app):
    response = add_form(admin_client, html="{{ ''.__class__.__mro__ }}")
    assert response.status_code == 200
    assert "__class__" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(PrintTemplate).filter_by(name="简版花名册").count() == 0


def test_inactive_template_may_be_saved_unfinished_but_not_broken_syntax(admin_client, app):
    add_form(admin_client, active="", html="{{ not_yet_known }}")
    with app.app_context():
        assert db.session.query(PrintTemplate).filter_by(name="简版花名册").one().active is False


def test_name_is_unique_per_kind(admin_client, app, seeded):
    response = add_form(admin_client, name="组织架构花名册")
    assert response.status_code == 200
    with app.app_context():
        assert db.session.query(PrintTemplate).filter_by(name="组织架构花名册").count() == 1


def test_one_default_per_kind(admin_client, app, seeded):
    old = template_id(app)
    add_form(admin_client, is_default="y")
    with app.app_context():
        new = db.session.query(PrintTemplate).filter_by(name="简版花名册").one()
        assert new.is_default
        assert db.session.get(PrintTemplate, old).is_default is False
        assert services.choose_template(kinds.ORG_ROSTER).id == new.id
    # and back again through the edit form (the older row has the lower id)
    url = "/printtemplateview/edit/%d" % old
    with app.app_context():
        row = db.session.get(PrintTemplate, old)
        html = row.html
    response = admin_client.post(url, data={
        "csrf_token": form_token(admin_client, url), "kind": kinds.ORG_ROSTER, "name": "组织架构花名册",
        "paper": "a4", "active": "y", "is_default": "y", "html": html}, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(PrintTemplate, old).is_default is True
        assert db.session.query(PrintTemplate).filter_by(kind=kinds.ORG_ROSTER, is_default=True).count() == 1


def test_default_must_be_active(admin_client, app):
    response = add_form(admin_client, active="", is_default="y")
    assert response.status_code == 200
    with app.app_context():
        assert db.session.query(PrintTemplate).filter_by(name="简版花名册").count() == 0


def test_edit_page_shows_placeholders_and_preview_button(admin_client, app, seeded):
    html = admin_client.get("/printtemplateview/edit/%d" % template_id(app)).get_data(as_text=True)
    assert "loupan-preview-draft" in html
    assert "employee_count" in html and "amount_in_words" in html
    assert "font-family" in html  # the monospace editor


@needs_poppler
def test_preview_returns_the_pdf_inline(admin_client, app, seeded, tmp_path):
    response = admin_client.get("/printtemplateview/preview/%d" % template_id(app))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "no-store" in response.headers["Cache-Control"]
    text = pdf_text(response.data, tmp_path)
    assert "示例置业集团" in text and "打印人：" in text


def test_preview_of_a_broken_template_is_a_message_not_a_500(admin_client, app, seeded):
    pk = template_id(app)
    with app.app_context():
        # broken behind the form's back (e.g. an older version, or a kind that changed its data)
        row = db.session.get(PrintTemplate, pk)
        row.html = "<p>{{ departments.nope.deeper }}</p>"
        db.session.commit()
    response = admin_client.get("/printtemplateview/preview/%d" % pk, follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "nope" in html and "alert" in html


@needs_poppler
def test_preview_of_unsaved_html(admin_client, tmp_path):
    url = "/printtemplateview/add"
    token = form_token(admin_client, url)
    response = admin_client.post("/printtemplateview/preview/", data={
        "csrf_token": token, "kind": kinds.ORG_ROSTER, "paper": "a5_landscape",
        "html": "<h1>草稿 {{ organisation }}</h1>"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "草稿 示例置业集团" in pdf_text(response.data, tmp_path)
    response = admin_client.post("/printtemplateview/preview/", data={
        "csrf_token": token, "kind": kinds.ORG_ROSTER, "html": "{% if %}"})
    assert response.status_code == 422
    assert "syntax" in response.get_data(as_text=True) or "语法" in response.get_data(as_text=True)
    response = admin_client.post("/printtemplateview/preview/", data={
        "csrf_token": token, "kind": "no_such_kind", "html": "<p>x</p>", "paper": "huge"})
    assert response.status_code == 422


def test_preview_of_unsaved_html_needs_the_csrf_token(admin_client):
    response = admin_client.post("/printtemplateview/preview/", data={"kind": kinds.ORG_ROSTER, "html": "<p>x</p>"})
    assert response.status_code == 400
    assert response.mimetype != "application/pdf"


@needs_poppler
def test_manager_prints_the_roster_of_a_department(client, app, seeded, tmp_path):
    assert login(client, "manager").status_code == 302
    response = client.get("/printtemplateview/print/%s/%d" % (kinds.ORG_ROSTER, dept_id(app, "HN")))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data, tmp_path)
    assert "安居置业集团" in text and "华南区域公司" in text and "广州天河·云璟项目部" in text
    assert "陈志明" in text and "林晓燕" in text
    assert "华东区域公司" not in text and "赵敏" not in text  # another branch of the tree
    assert "打印人：陈志明" in text
    # the manager may see personal data in full
    assert "13800138003" in text


@needs_poppler
def test_roster_masks_phones_for_users_without_the_right(app, seeded, tmp_path):
    from app.core import roles
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role(roles.SALES)
        for perm, view in (("can_list", "EmployeeView"),):
            role.permissions.append(sm.find_permission_view_menu(perm, view))
        db.session.commit()
    client = app.test_client()
    assert login(client, "sales").status_code == 302
    response = client.get("/printtemplateview/print/%s/%d" % (kinds.ORG_ROSTER, dept_id(app, "GZ-TH")))
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    assert "林晓燕" in text and "13800138003" not in text and "138****8003" in text


def test_print_without_a_template_is_a_message(admin_client, app):
    with app.app_context():
        db.session.query(PrintTemplate).update({"active": False, "is_default": False})
        db.session.commit()
    response = admin_client.get("/printtemplateview/print/%s/%d" % (kinds.ORG_ROSTER, dept_id(app, "HN")))
    assert response.status_code == 422
    assert "Print templates" in response.get_data(as_text=True) or "打印模板" in response.get_data(as_text=True)


def test_print_of_unknown_things_is_404(admin_client, app, seeded):
    assert admin_client.get("/printtemplateview/print/nonsense/1").status_code == 404
    assert admin_client.get("/printtemplateview/print/%s/999999" % kinds.ORG_ROSTER).status_code == 404
    assert admin_client.get("/printtemplateview/print/%s/%d?template=999999"
                            % (kinds.ORG_ROSTER, dept_id(app, "HN"))).status_code == 404
    assert admin_client.get("/printtemplateview/preview/999999").status_code == 404


def test_choose_page_lists_departments_and_redirects(admin_client, app, seeded):
    response = admin_client.get("/printtemplateview/print/%s/" % kinds.ORG_ROSTER)
    assert response.status_code == 200
    assert "华东区域公司" in response.get_data(as_text=True)
    pk = dept_id(app, "HD")
    response = admin_client.get("/printtemplateview/print/%s/?record=%d" % (kinds.ORG_ROSTER, pk))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/printtemplateview/print/%s/%d" % (kinds.ORG_ROSTER, pk))


def test_salesperson_cannot_edit_templates(client, app, seeded):
    assert login(client, "sales").status_code == 302
    pk = template_id(app)
    for url in ("/printtemplateview/list/", "/printtemplateview/add", "/printtemplateview/edit/%d" % pk,
                "/printtemplateview/show/%d" % pk, "/printtemplateview/preview/%d" % pk):
        assert client.get(url).status_code in (302, 403), url
    token = form_token(client, "/resetmypassword/form")
    assert client.post("/printtemplateview/delete/%d" % pk, data={"csrf_token": token}).status_code in (302, 403)
    assert client.post("/printtemplateview/preview/", data={
        "csrf_token": token, "kind": kinds.ORG_ROSTER, "html": "<p>x</p>"}).status_code in (302, 403)
    with app.app_context():
        assert db.session.get(PrintTemplate, pk) is not None
    # and the roster needs the right to list employees, which salespeople do not have
    assert client.get("/printtemplateview/print/%s/%d" % (kinds.ORG_ROSTER, dept_id(app, "GZ-TH"))).status_code == 403


def test_manager_sees_templates_but_cannot_change_them(client, app, seeded):
    assert login(client, "manager").status_code == 302
    pk = template_id(app)
    assert client.get("/printtemplateview/list/").status_code == 200
    assert client.get("/printtemplateview/show/%d" % pk).status_code == 200
    assert client.get("/printtemplateview/edit/%d" % pk).status_code in (302, 403)


# -- API -----------------------------------------------------------------------------------------

def test_api_crud_with_a_jwt(client, app, seeded):
    headers = api_token(client, "admin")
    with app.app_context():
        seeded_ids = {t.id for t in db.session.query(PrintTemplate)}
        roster_id = template_id(app)
    listed = client.get("/api/v1/print_templates/", headers=headers)
    assert listed.status_code == 200 and listed.json["count"] == len(seeded_ids)
    assert set(listed.json["ids"]) == seeded_ids and roster_id in seeded_ids
    created = client.post("/api/v1/print_templates/", headers=headers, json={
        "kind": kinds.ORG_ROSTER, "name": "API 花名册", "paper": "a4_landscape", "active": True,
        "is_default": True, "html": GOOD_HTML})
    assert created.status_code == 201, created.get_data(as_text=True)
    pk = created.json["id"]
    with app.app_context():
        assert services.choose_template(kinds.ORG_ROSTER).id == pk
    shown = client.get("/api/v1/print_templates/%d" % pk, headers=headers)
    assert shown.json["result"]["html"] == GOOD_HTML
    updated = client.put("/api/v1/print_templates/%d" % pk, headers=headers, json={"name": "API 花名册 2"})
    assert updated.status_code == 200
    assert client.delete("/api/v1/print_templates/%d" % pk, headers=headers).status_code == 200


def test_api_refuses_broken_templates_with_422(client, app, seeded):
    headers = api_token(client, "admin")
    with app.app_context():
        before = db.session.query(PrintTemplate).count()
    for body in ({"kind": kinds.ORG_ROSTER, "name": "x", "html": "{% for %}"},
                 {"kind": kinds.ORG_ROSTER, "name": "x", "html": "{{ ''.__class__ }}"},
                 {"kind": "unknown", "name": "x", "html": "<p>x</p>"},
                 {"kind": kinds.ORG_ROSTER, "name": "x", "html": "<p>x</p>", "paper": "letter"},
                 {"kind": kinds.ORG_ROSTER, "name": "组织架构花名册", "html": "<p>x</p>"},
                 {"kind": kinds.ORG_ROSTER, "name": "x", "html": "<p>x</p>", "is_default": True, "active": False}):
        response = client.post("/api/v1/print_templates/", headers=headers, json=body)
        assert response.status_code == 422, (body, response.get_data(as_text=True))
        assert response.json["message"]
    with app.app_context():
        assert db.session.query(PrintTemplate).count() == before
        assert db.session.query(PrintTemplate).filter_by(name="x").count() == 0


@needs_poppler
def test_api_preview_and_print(client, app, seeded, tmp_path):
    headers = api_token(client, "admin")
    kinds_list = client.get("/api/v1/print_templates/kinds", headers=headers)
    assert kinds_list.status_code == 200
    assert kinds.ORG_ROSTER in [k["code"] for k in kinds_list.json["result"]]
    pk = template_id(app)
    preview = client.get("/api/v1/print_templates/%d/preview" % pk, headers=headers)
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    draft = client.post("/api/v1/print_templates/preview", headers=headers,
                        json={"kind": kinds.ORG_ROSTER, "html": "<p>{{ organisation }} 预览</p>"})
    assert draft.status_code == 200 and "示例置业集团 预览" in pdf_text(draft.data, tmp_path)
    bad = client.post("/api/v1/print_templates/preview", headers=headers,
                      json={"kind": kinds.ORG_ROSTER, "html": "{{ x.y }}"})
    assert bad.status_code == 422 and "x" in bad.json["message"]
    assert client.post("/api/v1/print_templates/preview", headers=headers, data="nonsense").status_code == 400
    printed = client.get("/api/v1/print_templates/print/%s/%d" % (kinds.ORG_ROSTER, dept_id(app, "SH-PD")),
                         headers=headers)
    assert printed.status_code == 200 and "滨江府" in pdf_text(printed.data, tmp_path)
    assert client.get("/api/v1/print_templates/print/%s/999999" % kinds.ORG_ROSTER,
                      headers=headers).status_code == 404


def test_api_permissions(client, app, seeded):
    headers = api_token(client, "sales")
    assert client.get("/api/v1/print_templates/", headers=headers).status_code == 403
    assert client.post("/api/v1/print_templates/", headers=headers, json={
        "kind": kinds.ORG_ROSTER, "name": "x", "html": "<p>x</p>"}).status_code == 403
    assert client.get("/api/v1/print_templates/%d/preview" % template_id(app), headers=headers).status_code == 403
    assert client.get("/api/v1/print_templates/print/%s/%d" % (kinds.ORG_ROSTER, dept_id(app, "HN")),
                      headers=headers).status_code == 403
    assert client.get("/api/v1/print_templates/").status_code == 401


def test_registered_kind_prints_money_and_dates(admin_client, app, demo_kind, tmp_path):
    with app.app_context():
        services.save_template(PrintTemplate(
            kind="test_receipt", name="收据", paper="a5_landscape", active=True, is_default=True,
            html="<p>{{ customer.name }} {{ amount|money }} {{ amount|amount_in_words }} "
                 "{{ room.area|area }} {{ signed_on|date_cn }}</p>"))
    response = admin_client.get("/printtemplateview/print/test_receipt/1")
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    assert "张三丰 ¥123,456.78 壹拾贰万叁仟肆佰伍拾陆元柒角捌分 89.50㎡ 2026年11月26日" in text
    assert admin_client.get("/printtemplateview/print/test_receipt/2").status_code == 404
