"""The demo data: 云璟花园 as every test knows it, and three larger projects released in batches
with rooms kept off the market; loaded fast."""
import sqlalchemy as sa

from app.extensions import db
from app.inventory.models import Building, PresalePermit, Project, PropertyType, ReleaseBatch, Room, Unit
from tests.inventory.helpers import D, project


def counts(code):
    p = project(code)
    return dict(db.session.query(Room.status, sa.func.count(Room.id)).filter(Room.project_id == p.id)
                .group_by(Room.status).all())


def batches(code):
    p = project(code)
    rows = (db.session.query(ReleaseBatch.name, ReleaseBatch.release_date, sa.func.count(Room.id))
            .outerjoin(Room, Room.release_batch_id == ReleaseBatch.id).filter(ReleaseBatch.project_id == p.id)
            .group_by(ReleaseBatch.id, ReleaseBatch.name, ReleaseBatch.release_date)
            .order_by(ReleaseBatch.release_date))
    return [(name, date.isoformat(), n) for name, date, n in rows]


def permits(code):
    p = project(code)
    return {permit.number: [b.name for b in permit.buildings]
            for permit in db.session.query(PresalePermit).filter_by(project_id=p.id)}


def test_four_projects_with_their_developers(ctx):
    projects = {p.code: (p.name, p.city, p.developer.code, p.developer.kind) for p in db.session.query(Project)}
    assert projects == {"GZ-YJ": ("云璟花园", "广州", "HN", "company"),
                        "HZ-JY": ("滨江锦园", "杭州", "HD", "company"),
                        "SZ-HY": ("海悦中心", "深圳", "HN", "company"),
                        "SH-PJHT": ("浦江华庭", "上海", "HD", "company")}


def test_yunjing_is_unchanged(ctx):
    assert counts("GZ-YJ") == {"available": 40, "unreleased": 45, "not_for_sale": 1}
    assert batches("GZ-YJ") == [("首开", "2026-04-18", 40)]


def test_jinyuan_has_1984_high_rise_apartments_released_in_three_batches(ctx):
    p = project("HZ-JY")
    # 1,230 released; the demo's deals hold, book, subscribe or sign 9 of them.
    assert counts("HZ-JY") == {"available": 1221, "held": 2, "booked": 2, "subscribed": 2, "signed": 3,
                               "not_for_sale": 10, "unreleased": 744}
    assert batches("HZ-JY") == [("首开", "2026-05-16", 496), ("加推一", "2026-08-08", 496), ("加推二", "2026-10-18", 248)]
    assert db.session.query(Building).filter_by(project_id=p.id).count() == 8
    assert db.session.query(Unit).join(Building).filter(Building.project_id == p.id).count() == 16
    floors = {f for (f,) in db.session.query(Room.floor).filter(Room.project_id == p.id).distinct()}
    assert floors == set(range(1, 35)) - {4, 13, 14}
    top = db.session.query(Room).filter_by(project_id=p.id, code="8栋-2单元-3401").one()
    # 143㎡ at 36,800 + 90 × 33 floors + 1,500 river-view premium, rounded to the yuan.
    assert (top.layout.name, top.area_gross, top.list_unit_price, top.list_total_price) == \
        ("A户型 四室两厅两卫", D("143.00"), D("41270.00"), D("5901610"))
    assert (top.orientation.name, top.view.name, top.decoration.name) == ("南", "江景", "精装")
    assert {r.code for r in db.session.query(Room).filter_by(project_id=p.id, status="not_for_sale")} == \
        {"%d栋-%d单元-101" % (b, u) for b in range(1, 6) for u in (1, 2)}
    assert permits("HZ-JY") == {"浙杭预字(2026)第000123号": ["1栋", "2栋"], "浙杭预字(2026)第000256号": ["3栋", "4栋"],
                                "浙杭预字(2026)第000388号": ["5栋"]}


def test_haiyue_has_shops_and_offices(ctx):
    p = project("SZ-HY")
    types = dict(db.session.query(PropertyType.name, sa.func.count(Room.id))
                 .join(Room, Room.property_type_id == PropertyType.id)
                 .filter(Room.project_id == p.id).group_by(PropertyType.name).all())
    assert types == {"写字楼": 260, "商铺": 36}
    # 260 released; the demo's deals hold, book, subscribe or sign 5 of them.
    assert counts("SZ-HY") == {"available": 255, "held": 1, "booked": 1, "subscribed": 2, "signed": 1,
                               "not_for_sale": 12, "unreleased": 24}
    assert batches("SZ-HY") == [("首开", "2026-06-18", 142), ("加推一", "2026-09-28", 120)]
    shop = db.session.query(Room).filter_by(project_id=p.id, code="商业街-103").one()
    assert (shop.area_gross, shop.list_unit_price, shop.list_total_price, shop.status) == \
        (D("68.50"), D("98000.00"), D("6713000.00"), "available")
    assert permits("SZ-HY") == {"深房许字(2026)南山018号": ["A座", "商业街"]}


def test_pujiang_sells_parking_spaces(ctx):
    p = project("SH-PJHT")
    assert counts("SH-PJHT") == {"available": 280, "not_for_sale": 20, "unreleased": 60}
    assert batches("SH-PJHT") == [("首开", "2026-07-01", 180), ("加推一", "2026-10-01", 100)]
    parking = {t.code: t.is_parking for t in db.session.query(PropertyType).filter_by(project_id=p.id)}
    assert parking == {"PARK": True, "PARK-TWIN": True}
    space = db.session.query(Room).filter_by(project_id=p.id, code="地下车库-B1-001").one()
    assert (space.floor, space.list_total_price, space.release_batch.name) == (-1, D("260000"), "首开")


def test_every_released_room_is_covered_by_a_presale_permit(ctx):
    covered = {b.id for permit in db.session.query(PresalePermit) for b in permit.buildings}
    released = {b for (b,) in db.session.query(Room.building_id).filter(Room.release_batch_id.isnot(None)).distinct()}
    assert released <= covered


def test_every_room_fits_its_building_and_has_its_project_code_once(ctx):
    bad = (db.session.query(sa.func.count(Room.id)).join(Building, Room.building_id == Building.id)
           .filter(sa.or_(Room.floor > Building.floors_above, Room.floor < -Building.floors_below, Room.floor == 0,
                          Room.project_id != Building.project_id, Room.area_inner > Room.area_gross)).scalar())
    assert bad == 0
    assert db.session.query(Room).count() == 86 + 1984 + 296 + 360

