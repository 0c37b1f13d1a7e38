"""Dates users see follow the business's time zone (Asia/Shanghai), not the server's UTC."""
import datetime as dt

from app.core import clock


def test_local_now_is_beijing_time(app):
    with app.app_context():
        local = clock.local_now()
    utc = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert abs((local - utc) - dt.timedelta(hours=8)) < dt.timedelta(minutes=1)


def test_an_unknown_zone_falls_back_to_the_server_clock(app):
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Nowhere/Atlantis"
    try:
        with app.app_context():
            assert abs(clock.local_now() - dt.datetime.now()) < dt.timedelta(minutes=1)
    finally:
        app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Shanghai"


def test_the_release_form_proposes_todays_local_date(admin_client, app):
    from tests.inventory.helpers import room
    with app.app_context():
        target = room("2栋-1单元-101").id
        today = clock.local_today().isoformat()
    html = admin_client.get("/release/?room=%d" % target).get_data(as_text=True)
    assert 'value="%s"' % today in html
