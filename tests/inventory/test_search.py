"""Room search (房源查询): what a salesperson asks for, in natural order, paged, with clear messages
for bad numbers and a fixed number of queries."""
import re
from urllib.parse import urlencode

from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.inventory.models import Layout, Room
from app.inventory.services import search as search_service
from tests.conftest import login
from tests.inventory.helpers import building, lookup, project


def found(html):
    table = html.split("loupan-search-results")[1]
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r'<tr><td>(.*?)</td>', table)]


def count_of(html):
    return int(re.search(r'loupan-search-count"><strong>\D*(\d+)', html).group(1))


def search(client, **criteria):
    args = MultiDict({"searched": "1"})
    for key, value in criteria.items():
        for v in value if isinstance(value, list) else [value]:
            args.add(key, str(v))
    response = client.get("/roomsearch/?" + urlencode(list(args.items(multi=True))))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_default_search_lists_the_available_rooms_of_the_first_project_naturally(client, app):
    login(client, "sales")
    html = client.get("/roomsearch/").get_data(as_text=True)
    # GZ-YJ comes first by code; 待售 is ticked by default: 1栋's 40 rooms.
    assert count_of(html) == 40
    expected = ["1栋-1单元-%d%02d" % (floor, pos) for floor in range(1, 11) for pos in (1, 2)]
    assert found(html) == expected  # 101, 102, 201 … 1001, 1002: 1001 after 902, not after 101
    assert 'style="background-color:#4caf50"' in html and "¥34,950.00" in html and "118.60㎡" in html


def test_search_by_layout_orientation_floor_and_status(client, app):
    login(client, "sales")
    with app.app_context():
        p = project()
        a_layout = db.session.query(Layout).filter_by(project_id=p.id, name="A户型 三室两厅两卫").one().id
        south, south_east = lookup("orientation", "南").id, lookup("orientation", "东南").id
        river = lookup("view", "江景").id
    html = search(client, project=p.id, layout=a_layout, status="available")
    assert count_of(html) == 20 and all(code.endswith("01") for code in found(html))
    html = search(client, project=p.id, orientation=south_east, floor_min=5, floor_max=8, status="available")
    assert found(html) == ["1栋-%s-%d02" % (u, f) for u in ("1单元", "2单元") for f in range(5, 9)]
    html = search(client, project=p.id, orientation=[south, south_east], view=river, status="available")
    assert count_of(html) == 20
    # Nothing ticked: every status (the 86 rooms of the project).
    assert count_of(search(client, project=p.id)) == 86
    assert found(search(client, project=p.id, status="not_for_sale")) == ["1栋-B003"]


def test_search_by_building_area_and_price(client, app):
    login(client, "sales")
    with app.app_context():
        p = project()
        b2 = building("2栋").id
    # Total price up to ¥3,000,000: the 89.50㎡ rooms of floors 1–5 (unit price 32,800 + 150 a floor).
    html = search(client, project=p.id, price_kind="total", price_max="3,000,000", status="available")
    assert count_of(html) == 10 and found(html)[0] == "1栋-1单元-102" and found(html)[-1] == "1栋-2单元-502"
    # Unit price from ¥34,000/㎡: A rooms from floor 4 (14) and B rooms of floors 9–10 (4).
    assert count_of(search(client, project=p.id, price_kind="unit", price_min="34000", status="available")) == 18
    assert count_of(search(client, project=p.id, area_min="100", area_max="120", status="available")) == 20
    assert count_of(search(client, project=p.id, building=b2, status="unreleased")) == 43
    assert count_of(search(client, project=p.id, building=b2, status="available")) == 0


def test_search_in_a_large_project_is_paged_and_in_natural_order(client, app):
    login(client, "sales")
    with app.app_context():
        p = project("HZ-JY")
    html = search(client, project=p.id, status="available")
    assert count_of(html) == 1221  # 1,230 released, 9 of them in the demo's deals
    first = found(html)
    assert first[:4] == ["1栋-1单元-102", "1栋-1单元-103", "1栋-1单元-104", "1栋-1单元-201"]
    assert len(first) == 20 and 'class="pagination loupan-search-pages"' in html
    second = found(search(client, project=p.id, status="available", page=1))
    # Floor 4 does not exist (nor 13, 14): page 1 ends at 701.
    assert first[-1] == "1栋-1单元-701" and second[0] == "1栋-1单元-702" and not set(first) & set(second)
    floors = found(search(client, project=p.id, status="available", floor_min=9, floor_max=12))
    assert floors[0] == "1栋-1单元-901" and "1栋-1单元-1001" in floors


def test_search_runs_the_same_queries_for_a_few_or_a_full_page_of_rooms(client, app):
    from tests.inventory.test_pages_and_api import _count_statements
    login(client, "sales")
    with app.app_context():
        p = project()
    few = "/roomsearch/?" + urlencode({"searched": 1, "project": p.id, "status": "not_for_sale"})
    many = "/roomsearch/?" + urlencode({"searched": 1, "project": p.id, "status": "available"})
    assert _count_statements(app, client, few) == _count_statements(app, client, many)
    with app.app_context():
        big = project("HZ-JY").id
    huge = "/roomsearch/?" + urlencode({"searched": 1, "project": big, "status": "available"})
    assert _count_statements(app, client, huge) == _count_statements(app, client, many)


def test_bad_numbers_get_a_clear_message_and_no_error(client, app):
    login(client, "sales")
    client.get("/lang/en")
    with app.app_context():
        p = project().id
    cases = {
        "floor_min=abc": "“Lowest floor” must be a whole number, not “abc”.",
        "floor_max=1.5": "“Highest floor” must be a whole number, not “1.5”.",
        "area_min=-5": "“Smallest area” cannot be negative.",
        "price_max=NaN": "“Highest price” must be a number, not “NaN”.",
        "price_min=1e400": "“Lowest price” must be a number, not “1e400”.",
        "area_min=130&area_max=90": "“Smallest area” is greater than “Largest area”.",
        "building=x": "That choice is not in the list",
    }
    for query, message in cases.items():
        response = client.get("/roomsearch/?searched=1&project=%d&%s" % (p, query))
        html = response.get_data(as_text=True)
        assert response.status_code == 200, query
        assert message in html, query
        assert count_of(html) == 0
    assert client.get("/roomsearch/?project=999999").status_code == 404
    assert client.get("/roomsearch/?project=abc&page=-3&price_kind=zzz").status_code == 200


def test_every_role_that_reads_rooms_may_search_and_nobody_else(client, app):
    for user in ("manager", "sales", "finance", "service"):
        login(client, user)
        assert client.get("/roomsearch/").status_code == 200, user
        client.get("/logout/")
    assert client.get("/roomsearch/").status_code == 302  # to the login page


def test_parse_reads_the_form_the_way_the_page_sends_it(ctx):
    with force_locale("en"):
        c = search_service.parse(MultiDict([("project", "3"), ("building", "4"), ("building", "5"),
                                            ("price_kind", "unit"), ("price_min", "30,000"), ("floor_max", " 12 ")]))
    assert (c.project_id, c.building_ids, c.price_kind, str(c.price_min), c.floor_max) == \
        (3, [4, 5], "unit", "30000", 12)
    assert c.statuses == ["available"]
    assert search_service.parse(MultiDict([("searched", "1")])).statuses == []
    count, rooms = search_service.search(search_service.parse(MultiDict([("project", str(project().id))])))
    assert count == 40 and all(isinstance(r, Room) for r in rooms)
