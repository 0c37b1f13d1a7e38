import pytest
from flask_babel import force_locale

from app.core.errors import BusinessError
from app.extensions import db
from app.inventory import services
from app.inventory.models import Building, Project, Room, RoomStatus, Unit
from app.org.models import Department
from tests.inventory.helpers import D, building, new_room, project, room, room_count, unit


def refused(fn, *args):
    """The refusal's message, read in English (the tests compare English wording)."""
    with force_locale("en"), pytest.raises(BusinessError) as err:
        fn(*args)
    db.session.rollback()
    return str(err.value)


def test_demo_project_has_its_rooms_released_and_unreleased(ctx):
    statuses = dict(db.session.query(Room.status, db.func.count(Room.id)).filter(Room.project_id == project().id)
                    .group_by(Room.status).all())
    assert statuses == {"available": 40, "unreleased": 45, "not_for_sale": 1}
    assert room("1栋-1单元-1001").list_total_price == D("4145070")
    assert room("1栋-1单元-1001").area_shared == D("23.40")


def test_a_room_gets_its_code_from_building_unit_and_number(ctx):
    added = services.add_room(new_room())
    assert added.code == "1栋-1单元-599"
    assert added.status == "unreleased"
    assert added.project_id == project().id


def test_inner_area_larger_than_gross_is_refused(ctx):
    before = room_count()
    message = refused(services.add_room, new_room(area_inner=D("120.00")))
    assert "cannot be larger than the gross area" in message
    assert room_count() == before


@pytest.mark.parametrize("field,value", [("area_gross", D("0")), ("area_gross", D("-5")),
                                         ("area_inner", D("-1")), ("list_unit_price", D("-1")),
                                         ("list_total_price", D("-0.01")), ("floor_price", D("-100"))])
def test_areas_must_be_positive_and_prices_not_negative(ctx, field, value):
    before = room_count()
    message = refused(services.add_room, new_room(**{field: value}))
    assert "area" in message or "Prices" in message
    assert room_count() == before


@pytest.mark.parametrize("floor", [0, 11, -2])
def test_floors_outside_the_building_are_refused(ctx, floor):
    before = room_count()
    message = refused(services.add_room, new_room(floor=floor))
    assert "outside “1栋” (floors -1 to 10, no floor 0)" in message
    assert room_count() == before


def test_a_basement_floor_within_the_building_is_accepted(ctx):
    assert services.add_room(new_room(floor=-1, unit=None, number="B099")).code == "1栋-B099"


def test_duplicate_room_code_is_refused(ctx):
    before = room_count()
    message = refused(services.add_room, new_room(floor=1, number="101"))
    assert "1栋-1单元-101" in message and "already used" in message
    assert room_count() == before


def test_unit_of_another_building_is_refused(ctx):
    message = refused(services.add_room, new_room(unit=unit("2栋", "1单元")))
    assert "is not in “1栋”" in message


def test_a_department_cannot_be_the_developer(ctx):
    team = db.session.query(Department).filter_by(code="GZ-TH").one()
    p = Project(name="测试项目", code="T-1", developer=team, price_rounding="fen", hold_hours=24, booking_days=7)
    with db.session.no_autoflush:
        message = refused(services.check_project, p)
    assert "company or the group" in message
    assert db.session.query(Project).filter_by(code="T-1").first() is None


def test_a_project_with_buildings_cannot_be_deleted(ctx):
    assert "still has buildings" in refused(services.check_project_deletable, project())


def test_a_building_with_units_or_a_unit_with_rooms_cannot_be_deleted(ctx):
    assert "still has units" in refused(services.check_building_deletable, building())
    assert "still has rooms" in refused(services.check_unit_deletable, unit())


def test_a_released_room_cannot_be_deleted_but_an_unreleased_one_can(ctx):
    message = refused(services.delete_room, room("1栋-1单元-101"))
    assert "no longer unreleased" in message
    assert room("1栋-1单元-101") is not None
    services.delete_room(room("2栋-1单元-101"))
    assert db.session.query(Room).filter_by(project_id=project().id, code="2栋-1单元-101").first() is None


def test_shrinking_a_building_below_its_rooms_is_refused(ctx):
    b = building()
    b.floors_above = 5
    with db.session.no_autoflush:
        message = refused(services.check_building, b)
    assert "floors -1 to 10" in message
    assert building().floors_above == 10


def test_mark_not_for_sale_and_back(ctx):
    rooms = [room("1栋-1单元-101"), room("2栋-1单元-101")]
    services.mark_not_for_sale(rooms, None)
    assert {room("1栋-1单元-101").status, room("2栋-1单元-101").status} == {"not_for_sale"}
    services.mark_for_sale([room("1栋-1单元-101"), room("2栋-1单元-101")], None)
    # A released room goes back to available, an unreleased one to unreleased.
    assert room("1栋-1单元-101").status == "available"
    assert room("2栋-1单元-101").status == "unreleased"


def test_rooms_in_a_deal_cannot_be_marked_and_nothing_changes(ctx):
    held = room("1栋-1单元-201")
    services.load_status(held, "held")
    db.session.commit()
    message = refused(services.mark_not_for_sale, [room("1栋-1单元-101"), room("1栋-1单元-201")], None)
    assert "1栋-1单元-201" in message and "cannot be changed" in message
    assert room("1栋-1单元-101").status == "available"
    assert room("1栋-1单元-201").status == "held"
    assert "1栋-1单元-201" in refused(services.mark_for_sale, [room("1栋-1单元-201")], None)


def test_statuses_are_seeded_once_and_keep_what_admins_set(ctx):
    status = db.session.query(RoomStatus).filter_by(code="available").one()
    status.name, status.colour = "在售", "#00aa00"
    db.session.commit()
    services.seed_statuses()
    assert db.session.query(RoomStatus).count() == 7
    assert db.session.query(RoomStatus).filter_by(code="available").one().name == "在售"


def test_a_status_colour_must_be_hex(ctx):
    status = db.session.query(RoomStatus).filter_by(code="signed").one()
    status.colour = "red"
    with db.session.no_autoflush:
        assert "hexadecimal" in refused(services.check_room_status, status)


def test_duplicate_building_and_unit_names_are_refused(ctx):
    with db.session.no_autoflush:
        b = Building(project=project(), name="1栋", floors_above=5, floors_below=0, units_count=1)
        assert "already exists" in refused(services.check_building, b)
    with db.session.no_autoflush:
        u = Unit(building=building(), name="1单元")
        assert "already exists" in refused(services.check_unit, u)
    db.session.rollback()
    assert db.session.query(Building).filter_by(project_id=project().id).count() == 2


def test_prices_of_a_released_room_change_only_through_an_adjustment(ctx):
    released = room("1栋-1单元-1001")
    released.list_unit_price = D("40000.00")
    with force_locale("en"), pytest.raises(BusinessError) as refused:
        with db.session.no_autoflush:
            services.check_room(released)
    assert "only through a price adjustment" in str(refused.value)
    db.session.rollback()
    assert room("1栋-1单元-1001").list_unit_price == D("34950.00")
    unreleased = room("2栋-1单元-101")
    unreleased.list_unit_price = D("40000.00")
    with db.session.no_autoflush:
        services.check_room(unreleased)  # still being priced: typed in freely
    released = room("1栋-1单元-1001")
    released.orientation = None  # other fields of a released room stay editable
    with db.session.no_autoflush:
        services.check_room(released)
