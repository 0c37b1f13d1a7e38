"""A layout's floor-plan image (户型图): uploaded on the layout form, shown on its page,
refused when it is not an image or too large, and served only to those who may see layouts."""
import io

from PIL import Image

from app.extensions import db
from app.inventory.models import Layout
from app.inventory.services import floor_plan
from tests.conftest import form_token, login
from tests.inventory.helpers import project

LAYOUT = "A户型 三室两厅两卫"


def png_bytes(size=(40, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def layout_id(app):
    with app.app_context():
        return db.session.query(Layout).filter_by(project_id=project().id, name=LAYOUT).one().id


def edit_form(app, client, pk, upload, name=LAYOUT, **extra):
    with app.app_context():
        layout = db.session.get(Layout, pk)
        data = {"project": str(layout.project_id), "name": name, "bedrooms": "3", "living_rooms": "2",
                "bathrooms": "2", "typical_area": "118.60"}
    data.update(extra)
    data["csrf_token"] = form_token(client, "/layoutview/edit/%d" % pk)
    data["floor_plan_upload"] = upload
    return client.post("/layoutview/edit/%d" % pk, data=data, content_type="multipart/form-data",
                       follow_redirects=True)


def test_uploaded_floor_plan_is_shown_on_the_layout_page(admin_client, app):
    pk = layout_id(app)
    image = png_bytes()
    edit_form(app, admin_client, pk, (io.BytesIO(image), "a.png"))
    html = admin_client.get("/layoutview/show/%d" % pk).get_data(as_text=True)
    assert 'src="/layoutview/floor_plan/%d"' % pk in html
    response = admin_client.get("/layoutview/floor_plan/%d" % pk)
    assert response.status_code == 200 and response.mimetype == "image/png" and response.data == image


def test_a_file_that_is_not_an_image_is_refused_and_the_layout_is_unchanged(admin_client, app):
    admin_client.get("/lang/en")
    pk = layout_id(app)
    html = edit_form(app, admin_client, pk, (io.BytesIO(b"%PDF-1.4 not an image"), "plan.png"),
                     name="改名不应保存").get_data(as_text=True)
    assert "must be a PNG, JPEG, GIF or WebP image" in html
    with app.app_context():
        layout = db.session.get(Layout, pk)
        assert layout.name == LAYOUT and layout.floor_plan_type is None
    assert admin_client.get("/layoutview/floor_plan/%d" % pk).status_code == 404


def test_too_large_an_image_is_refused(ctx):
    layout = Layout(name="x")
    data = png_bytes() + b"\0" * floor_plan.MAX_FLOOR_PLAN_BYTES
    try:
        floor_plan.set_floor_plan(layout, data)
        raise AssertionError("accepted")
    except Exception as e:
        assert "5" in str(e)
    assert layout.floor_plan is None


def test_the_floor_plan_can_be_removed(admin_client, app):
    pk = layout_id(app)
    edit_form(app, admin_client, pk, (io.BytesIO(png_bytes()), "a.png"))
    edit_form(app, admin_client, pk, (io.BytesIO(b""), ""), floor_plan_remove="y")
    assert admin_client.get("/layoutview/floor_plan/%d" % pk).status_code == 404


def test_sales_staff_without_the_layout_page_cannot_fetch_the_image(admin_client, app, client):
    pk = layout_id(app)
    edit_form(app, admin_client, pk, (io.BytesIO(png_bytes()), "a.png"))
    admin_client.get("/logout/")
    login(client, "sales")
    response = client.get("/layoutview/floor_plan/%d" % pk)
    assert response.status_code in (302, 403) and response.mimetype != "image/png"
