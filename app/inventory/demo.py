"""Demo inventory: one small project, 云璟花园 in Guangzhou, with apartments and parking spaces.
The first building is released as batch 首开 (available); the rest is still unreleased."""
import decimal

from app.core.models import LookupValue
from app.extensions import db
from app.inventory import services
from app.inventory.models import Building, Layout, Phase, PresalePermit, Project, PropertyType, Room, Unit
from app.org.models import Department

D = decimal.Decimal
# name, bedrooms, living rooms, bathrooms, gross area, inner area
LAYOUTS = [("A户型 三室两厅两卫", 3, 2, 2, D("118.60"), D("95.20")),
           ("B户型 两室两厅一卫", 2, 2, 1, D("89.50"), D("71.80")),
           ("C户型 四室两厅两卫", 4, 2, 2, D("142.30"), D("114.60"))]
# position on the floor -> (layout index, orientation, view)
POSITIONS = {1: (0, "南", "江景"), 2: (1, "东南", "园林景观")}
BASE_UNIT_PRICE = D("32800")
FLOOR_STEP = D("150")


def load():
    """Registered with app.demo: runs after the demo organisation exists."""
    import datetime as dt

    developer = db.session.query(Department).filter_by(code="HN").one()
    lookups = {(v.list_code, v.name): v for v in db.session.query(LookupValue)}
    project = Project(name="云璟花园", code="GZ-YJ", city="广州", address="广州市天河区临江大道88号",
                      developer=developer, price_rounding="yuan", hold_hours=24, booking_days=7, active=True)
    phase = Phase(project=project, name="一期", sort_order=10)
    homes = PropertyType(project=project, name="住宅", code="RES", is_parking=False, sort_order=10)
    parking = PropertyType(project=project, name="车位", code="PARK", is_parking=True, sort_order=20)
    layouts = [Layout(project=project, name=name, bedrooms=b, living_rooms=lv, bathrooms=ba, typical_area=gross)
               for name, b, lv, ba, gross, _inner in LAYOUTS]
    db.session.add_all([project, phase, homes, parking] + layouts)
    buildings = []
    for index in (1, 2):
        building = Building(project=project, phase=phase, name="%d栋" % index, floors_above=10, floors_below=1,
                            units_count=2, sort_order=index * 10)
        buildings.append(building)
        db.session.add(building)
    db.session.add(PresalePermit(project=project, number="穗房预字第20260088号", issue_date=dt.date(2026, 3, 18),
                                 valid_to=dt.date(2028, 3, 17), buildings=list(buildings)))
    fine = lookups[("decoration", "精装")]
    for building in buildings:
        released = building.name == "1栋"
        for u in (1, 2):
            unit = Unit(building=building, name="%d单元" % u, sort_order=u * 10)
            db.session.add(unit)
            for floor in range(1, 11):
                for position, (layout_index, orientation, view) in POSITIONS.items():
                    _name, _b, _lv, _ba, gross, inner = LAYOUTS[layout_index]
                    unit_price = BASE_UNIT_PRICE + FLOOR_STEP * (floor - 1) + (D("800") if position == 1 else 0)
                    total = (gross * unit_price).quantize(D("1"))
                    room = Room(project=project, building=building, unit=unit, floor=floor,
                                number="%d%02d" % (floor, position), layout=layouts[layout_index],
                                property_type=homes, orientation=lookups[("orientation", orientation)],
                                view=lookups[("view", view)], decoration=fine, area_gross=gross,
                                area_inner=inner, list_unit_price=unit_price, list_total_price=total,
                                floor_price=(total * D("0.97")).quantize(D("1")))
                    room.code = services.room_code(building, unit, room.number)
                    if released:
                        services.load_status(room, "available", release_batch="首开")
                    db.session.add(room)
        for space in range(1, 4):
            gross = D("12.50")
            room = Room(project=project, building=building, floor=-1, number="B%03d" % space,
                        property_type=parking, area_gross=gross, area_inner=gross,
                        list_unit_price=(D("180000") / gross).quantize(D("0.01")), list_total_price=D("180000"),
                        floor_price=D("165000"))
            room.code = services.room_code(building, None, room.number)
            if released and space == 3:
                # The last space of 1栋 is kept by the developer for its own use.
                services.load_status(room, "not_for_sale")
            db.session.add(room)
    db.session.flush()
