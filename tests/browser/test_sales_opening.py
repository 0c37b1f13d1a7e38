"""Opening day in the browser: 陈志明 (manager) starts the selection of 云璟花园, the hall screen
shows the number called (huge, refreshed without reloading, at 1920×1080 and 1366×768), the
called customer picks a room and the subscription is confirmed.
Screenshots: tests/artifacts/opening-*.png."""
from app.extensions import db
from app.sales.models import SincerityTicket
from app.sales.services import queue
from tests.browser.conftest import login_as, shot
from tests.sales.deal_helpers import as_user, available_rooms, customers_of, project, status


def test_opening_day_call_pick_and_subscribe(browser, base_url, app):
    with app.app_context():
        with as_user(app, "sales"):
            tickets = [queue.register(project(), c, "20000", method="pos", floors="10-18", note="南向")
                       for c in customers_of("E1003", 3)]
        first_id, first_number, customer = tickets[0].id, tickets[0].number, tickets[0].customer.name
        room = available_rooms()[0]
        room_id, room_code = room.id, room.code
        project_id = project().id
        db.session.remove()

    operator_ctx = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                       viewport={"width": 1366, "height": 900})
    hall_ctx = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                   viewport={"width": 1920, "height": 1080})
    try:
        page = operator_ctx.new_page()
        login_as(page, "manager")
        page.goto("/sales/queue/new?project=%d" % project_id)
        shot(page, "opening-0-register")
        page.goto("/sales/queue/?project=%d" % project_id)
        assert page.locator("tr.loupan-queue-row").count() == 3
        shot(page, "opening-1-queue")
        with page.expect_navigation():
            page.click("button.loupan-opening-start")
        assert "/sales/queue/sessions/" in page.url

        hall = hall_ctx.new_page()
        login_as(hall, "manager")
        hall.goto("/sales/queue/%d/screen" % project_id)
        assert hall.inner_text("#qs-number").strip() == "—"
        assert [n.strip() for n in hall.locator("#qs-next span").all_inner_texts()] == ["1", "2", "3"]

        with page.expect_navigation():
            page.click("button.loupan-opening-next")
        assert page.inner_text(".loupan-opening-number").strip() == str(first_number)
        assert customer in page.inner_text(".loupan-opening-customer")
        shot(page, "opening-2-operator")

        # The hall screen follows within a few seconds, without reloading.
        hall.wait_for_function("document.getElementById('qs-number').textContent.trim() === '%d'" % first_number,
                               timeout=10_000)
        box = hall.locator("#qs-number").bounding_box()
        assert box["height"] > 350, box  # readable across the hall
        assert hall.evaluate("() => document.documentElement.scrollHeight") <= 1080
        shot(hall, "opening-3-hall-1920", full_page=False)
        hall.set_viewport_size({"width": 1366, "height": 768})
        box = hall.locator("#qs-number").bounding_box()
        assert box["height"] > 250 and box["y"] + box["height"] < 768, box
        assert hall.evaluate("() => document.documentElement.scrollHeight") <= 768
        shot(hall, "opening-4-hall-1366", full_page=False)

        # The called customer picks a room; the confirmation shows the figures, then subscribes.
        page.select_option("select#room", str(room_id))
        with page.expect_navigation():
            page.click("button.loupan-opening-pick")
        assert "/sales/queue/tickets/%d/pick" % first_id in page.url
        assert room_code in page.inner_text(".loupan-pick-room")
        assert "20,000.00" in page.inner_text(".loupan-pick-converted")
        shot(page, "opening-5-pick")
        with page.expect_navigation():
            page.click("button.loupan-pick-confirm")
        assert "/sales/queue/sessions/" in page.url
        assert room_code in page.inner_text(".alert-success")
        shot(page, "opening-6-chosen")

        page.goto("/sales/queue/tickets/%d" % first_id)
        shot(page, "opening-7-ticket")
        assert page.get_attribute(".loupan-ticket-status", "data-status") == "chose"
        assert room_code in page.inner_text(".loupan-ticket-deal")
    finally:
        operator_ctx.close()
        hall_ctx.close()
    with app.app_context():
        assert status(room_id) == "subscribed"
        assert db.session.get(SincerityTicket, first_id).status == "chose"
