"""Demo inventory: 云璟花园 in Guangzhou (86 rooms: apartments and parking spaces; 1栋 released
as 首开, the rest unreleased), and three larger projects built in bulk — 滨江锦园 in Hangzhou
(1,984 high-rise apartments), 海悦中心 in Shenzhen (shops and offices) and 浦江华庭 in Shanghai
(parking spaces) — released in batches (首开, 加推一…), with rooms kept off the market."""
import datetime as dt
import decimal

from app.core.models import LookupValue
from app.extensions import db
from app.inventory import services
from app.inventory.models import (Building, Layout, Phase, PresalePermit, Project, PropertyType, ReleaseBatch,
                                  Room, Unit)
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
    load_yunjing()
    load_large_projects()


def load_yunjing():
    """云璟花园 (GZ-YJ): the small project every inventory test starts from; keep it as it is."""
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
    first = ReleaseBatch(project=project, name="首开", release_date=dt.date(2026, 4, 18),
                         note="1栋两个单元全部推出")
    db.session.add(first)
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
                        services.load_status(room, "available", release_batch=first)
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


# ---- three larger projects, built in bulk ---------------------------------------------------

class _Rooms:
    """Collects room rows for one bulk INSERT (no ORM object, no audit entry per demo room)."""

    def __init__(self, project):
        self.project = project
        self.rows = []

    def add(self, building, unit, floor, number, ptype, gross, inner, unit_price=None, total=None, layout=None,
            orientation=None, view=None, decoration=None, status="unreleased", batch=None):
        rounding = self.project.price_rounding
        if total is None:
            total = services.total_price(gross, unit_price, rounding)
        else:
            unit_price = (total / gross).quantize(D("0.01"))
        self.rows.append({
            "project_id": self.project.id, "building_id": building.id, "unit_id": unit.id if unit else None,
            "floor": floor, "number": number, "code": services.room_code(building, unit, number),
            "layout_id": layout.id if layout else None, "property_type_id": ptype.id,
            "orientation_id": orientation.id if orientation else None, "view_id": view.id if view else None,
            "decoration_id": decoration.id if decoration else None, "area_gross": gross, "area_inner": inner,
            "list_unit_price": unit_price, "list_total_price": total,
            "floor_price": services.round_price(total * D("0.97"), rounding), "status": status,
            "release_batch_id": batch.id if batch else None,
        })

    def insert(self):
        db.session.execute(Room.__table__.insert(), self.rows)


def _project(code, name, city, address, developer, rounding):
    project = Project(name=name, code=code, city=city, address=address, price_rounding=rounding, hold_hours=24,
                      booking_days=7, active=True,
                      developer=db.session.query(Department).filter_by(code=developer).one())
    db.session.add(project)
    return project


def _batches(project, *batches):
    made = [ReleaseBatch(project=project, name=name, release_date=date, note=note) for name, date, note in batches]
    db.session.add_all(made)
    return made


# 滨江锦园: position on the floor -> (layout, orientation, view, premium per ㎡)
JINYUAN_LAYOUTS = [("A户型 四室两厅两卫", 4, 2, 2, D("143.00"), D("114.40")),
                   ("B户型 三室两厅两卫", 3, 2, 2, D("125.00"), D("100.00")),
                   ("C户型 三室两厅一卫", 3, 2, 1, D("98.00"), D("78.40")),
                   ("D户型 两室两厅一卫", 2, 2, 1, D("89.00"), D("71.20"))]
JINYUAN_POSITIONS = {1: (0, "南", "江景", D("1500")), 2: (2, "南", "园林景观", D("600")),
                     3: (3, "东", "城市景观", D("0")), 4: (1, "西南", "江景", D("1000"))}
JINYUAN_SKIPPED_FLOORS = (4, 13, 14)
JINYUAN_FLOORS = 34


def _jinyuan(lookups):
    """滨江锦园 (HZ-JY): 8 high-rise buildings × 2 units × 31 floors (no 4, 13, 14) × 4 = 1,984
    apartments; 1–2栋 首开, 3–4栋 加推一, 5栋 加推二, 6–8栋 unreleased; each released building
    keeps its two 101 apartments off the market (物业用房)."""
    project = _project("HZ-JY", "滨江锦园", "杭州", "杭州市滨江区江南大道1288号", "HD", "yuan")
    phases = [Phase(project=project, name="一期", sort_order=10), Phase(project=project, name="二期", sort_order=20)]
    homes = PropertyType(project=project, name="住宅", code="RES", is_parking=False, sort_order=10)
    layouts = [Layout(project=project, name=n, bedrooms=b, living_rooms=lv, bathrooms=ba, typical_area=g)
               for n, b, lv, ba, g, _i in JINYUAN_LAYOUTS]
    buildings = [Building(project=project, phase=phases[0 if i <= 4 else 1], name="%d栋" % i,
                          floors_above=JINYUAN_FLOORS, floors_below=2, units_count=2, sort_order=i * 10)
                 for i in range(1, 9)]
    units = {(b.name, u): Unit(building=b, name="%d单元" % u, sort_order=u * 10) for b in buildings for u in (1, 2)}
    first, second, third = _batches(project, ("首开", dt.date(2026, 5, 16), "1栋、2栋开盘"),
                                    ("加推一", dt.date(2026, 8, 8), "3栋、4栋加推"),
                                    ("加推二", dt.date(2026, 10, 18), "5栋加推"))
    db.session.add_all(phases + [homes] + layouts + buildings + list(units.values()))
    db.session.add_all([
        PresalePermit(project=project, number="浙杭预字(2026)第000123号", issue_date=dt.date(2026, 5, 6),
                      valid_to=dt.date(2028, 5, 5), buildings=buildings[0:2]),
        PresalePermit(project=project, number="浙杭预字(2026)第000256号", issue_date=dt.date(2026, 7, 28),
                      valid_to=dt.date(2028, 7, 27), buildings=buildings[2:4]),
        PresalePermit(project=project, number="浙杭预字(2026)第000388号", issue_date=dt.date(2026, 10, 9),
                      valid_to=dt.date(2028, 10, 8), buildings=buildings[4:5]),
    ])
    db.session.flush()
    batch_of = {"1栋": first, "2栋": first, "3栋": second, "4栋": second, "5栋": third}
    fine = lookups[("decoration", "精装")]
    rooms = _Rooms(project)
    for building in buildings:
        batch = batch_of.get(building.name)
        for u in (1, 2):
            unit = units[(building.name, u)]
            for floor in range(1, JINYUAN_FLOORS + 1):
                if floor in JINYUAN_SKIPPED_FLOORS:
                    continue
                for position, (layout_index, orientation, view, premium) in JINYUAN_POSITIONS.items():
                    _n, _b, _lv, _ba, gross, inner = JINYUAN_LAYOUTS[layout_index]
                    status = "available" if batch else "unreleased"
                    if batch and floor == 1 and position == 1:
                        status = "not_for_sale"
                    rooms.add(building, unit, floor, "%d%02d" % (floor, position), homes, gross, inner,
                              unit_price=D("36800") + D("90") * (floor - 1) + premium, layout=layouts[layout_index],
                              orientation=lookups[("orientation", orientation)], view=lookups[("view", view)],
                              decoration=fine, status=status, batch=batch)
    rooms.insert()


def _haiyue(lookups):
    """海悦中心 (SZ-HY): A座 offices on floors 5–30 (10 a floor) and 商业街 shops on floors 1–3
    (12 a floor). 首开: the street-level shops and offices 5–17F; 加推一: offices 18–29F;
    A座 30F (自持总部) and shops 商业街-101/102 (自持) are not for sale; shops 2–3F unreleased."""
    project = _project("SZ-HY", "海悦中心", "深圳", "深圳市南山区前海大道2888号", "HN", "fen")
    phase = Phase(project=project, name="一期", sort_order=10)
    shop = PropertyType(project=project, name="商铺", code="SHOP", is_parking=False, sort_order=10)
    office = PropertyType(project=project, name="写字楼", code="OFFICE", is_parking=False, sort_order=20)
    standard = Layout(project=project, name="标准办公单元", bedrooms=0, living_rooms=0, bathrooms=1,
                      typical_area=D("128.50"))
    open_plan = Layout(project=project, name="大开间办公单元", bedrooms=0, living_rooms=0, bathrooms=2,
                       typical_area=D("246.80"))
    tower = Building(project=project, phase=phase, name="A座", floors_above=30, floors_below=3, units_count=0,
                     sort_order=10)
    street = Building(project=project, phase=phase, name="商业街", floors_above=3, floors_below=0, units_count=0,
                      sort_order=20)
    first, second = _batches(project, ("首开", dt.date(2026, 6, 18), "临街商铺与A座5–17层"),
                             ("加推一", dt.date(2026, 9, 28), "A座18–29层"))
    db.session.add_all([phase, shop, office, standard, open_plan, tower, street])
    db.session.add(PresalePermit(project=project, number="深房许字(2026)南山018号", issue_date=dt.date(2026, 6, 8),
                                 valid_to=dt.date(2028, 6, 7), buildings=[tower, street]))
    db.session.flush()
    decoration = lookups[("decoration", "简装")]
    rooms = _Rooms(project)
    for floor in range(5, 31):
        batch = first if floor <= 17 else second if floor <= 29 else None
        for position in range(1, 11):
            big = position in (1, 6)
            gross, inner = (D("246.80"), D("185.10")) if big else (D("128.50"), D("96.40"))
            orientation = "南" if position <= 3 else "东" if position <= 5 else "北" if position <= 8 else "西"
            rooms.add(tower, None, floor, "%d%02d" % (floor, position), office, gross, inner,
                      unit_price=D("58000") + D("400") * (floor - 5) + (D("2000") if big else 0),
                      layout=open_plan if big else standard, orientation=lookups[("orientation", orientation)],
                      view=lookups[("view", "江景" if orientation == "南" else "城市景观")], decoration=decoration,
                      status="not_for_sale" if floor == 30 else "available", batch=batch)
    shops = {1: (D("68.50"), D("55.00"), D("98000")), 2: (D("120.00"), D("96.00"), D("62000")),
             3: (D("210.00"), D("168.00"), D("45000"))}
    for floor, (gross, inner, price) in shops.items():
        for position in range(1, 13):
            batch = first if floor == 1 else None
            status = "available" if batch else "unreleased"
            if floor == 1 and position <= 2:
                status = "not_for_sale"
            rooms.add(street, None, floor, "%d%02d" % (floor, position), shop, gross, inner, unit_price=price,
                      orientation=lookups[("orientation", "南" if position % 2 else "北")],
                      view=lookups[("view", "城市景观")], status=status, batch=batch)
    rooms.insert()


def _pujiang(lookups):
    """浦江华庭 (SH-PJHT): an underground garage of 360 parking spaces. B1 (180) 首开, B2-001…100
    加推一; B2-141…160 are civil-defence spaces (人防车位), not for sale; the rest unreleased."""
    project = _project("SH-PJHT", "浦江华庭", "上海", "上海市浦东新区浦江镇陈行公路2388弄", "HD", "yuan")
    phase = Phase(project=project, name="一期", sort_order=10)
    space = PropertyType(project=project, name="车位", code="PARK", is_parking=True, sort_order=10)
    twin = PropertyType(project=project, name="子母车位", code="PARK-TWIN", is_parking=True, sort_order=20)
    garage = Building(project=project, phase=phase, name="地下车库", floors_above=1, floors_below=2, units_count=0,
                      sort_order=10)
    first, second = _batches(project, ("首开", dt.date(2026, 7, 1), "B1层全部车位"),
                             ("加推一", dt.date(2026, 10, 1), "B2层001–100号"))
    db.session.add_all([phase, space, twin, garage])
    db.session.add(PresalePermit(project=project, number="浦东新区房管(2026)预字0189号", issue_date=dt.date(2026, 6, 20),
                                 valid_to=dt.date(2028, 6, 19), buildings=[garage]))
    db.session.flush()
    rooms = _Rooms(project)
    for number in range(1, 181):
        rooms.add(garage, None, -1, "B1-%03d" % number, space, D("12.50"), D("12.50"), total=D("260000"),
                  status="available", batch=first)
    for number in range(1, 181):
        kind, gross, total = (twin, D("25.00"), D("380000")) if number > 160 else (space, D("12.50"), D("210000"))
        batch = second if number <= 100 else None
        status = "available" if batch else "not_for_sale" if 141 <= number <= 160 else "unreleased"
        rooms.add(garage, None, -2, "B2-%03d" % number, kind, gross, gross, total=total, status=status, batch=batch)
    rooms.insert()


def load_large_projects():
    lookups = {(v.list_code, v.name): v for v in db.session.query(LookupValue)}
    _jinyuan(lookups)
    _haiyue(lookups)
    _pujiang(lookups)
    db.session.flush()
