"""Dates users see follow the business's time zone (Asia/Shanghai), not the server's UTC."""
import datetime as dt

from app.core import clock


def test_local_now_is_beijing_time(app):
    with app.app_context():
        local = clock.local_now()
    utc = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert abs((local - utc) - dt.timedelta(hours=8)) < dt.timedelta(minutes=1)


def test_an_unknown_zone_falls_back_to_beijing_time(app):
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Nowhere/Atlantis"
    try:
        with app.app_context():
            local = clock.local_now()
    finally:
        app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Shanghai"
    utc = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert abs((local - utc) - dt.timedelta(hours=8)) < dt.timedelta(minutes=1)


def test_stored_moments_are_shown_in_the_office_time(app):
    from app.core import display
    with app.app_context():
        # 2026-11-26 17:30 UTC is 01:30 the next morning in Beijing.
        stored = dt.datetime(2026, 11, 26, 17, 30)
        assert display.plain(stored) == "2026-11-27 01:30"
        assert display.local_day(stored) == "2026-11-27"
        assert clock.utc_start_of(dt.date(2026, 11, 27)) == dt.datetime(2026, 11, 26, 16, 0)


def test_the_release_form_proposes_todays_local_date(admin_client, app):
    from tests.inventory.helpers import room
    with app.app_context():
        target = room("2栋-1单元-101").id
        today = clock.local_today().isoformat()
    html = admin_client.get("/release/?room=%d" % target).get_data(as_text=True)
    assert 'value="%s"' % today in html
