"""A small known history for the report tests, written straight into the tables (the reports read
tables; the services that normally write them are tested elsewhere).

Project 报表花园 (code RPT): phases 一期 and 二期; 1栋 (一期, one unit, floors 1–12, two rooms
a floor → 24 rooms) and 2栋 (二期, floors 1–3, two rooms a floor → 6 rooms). Every room is 100.00㎡
gross; list unit price ¥20,000.00 on 1栋 (¥2,000,000.00 a room) and ¥26,000.00 on 2栋
(¥2,600,000.00 a room). Layouts: A (rooms numbered 01) and B (02). The two rooms of 2栋's third
floor are unreleased; 1栋 1201 is not for sale.

Salespeople: 林晓燕 (E1003, login sales) and 张伟 (E1006), both in the manager 陈志明's
department; 李娜 (E1008) of another department. Each may sell in RPT.

Deals (`DEALS`: key, room, salesperson, stage, state, subscribed, signed, ended, total):
see the table below; a cancelled deal's room is available again, the others' rooms carry the
deal's stage. Receivables, receipts, visits and opportunities: see `build`.

`build()` returns a namespace with the objects by key; the figures each report must give follow
from these rows and are written out in the tests."""
import datetime as dt
import types
from decimal import Decimal as D

from app.core import clock
from app.crm.models import Customer, Opportunity, Visit
from app.extensions import db
from app.finance.models import Receipt, ReceiptAllocation, Receivable
from app.inventory.models import Building, Layout, Phase, Project, PropertyType, Room, Unit
from app.org.models import Department, Employee
from app.sales.models import Deal, SalesPermission

SEP, OCT, NOV = (lambda d: dt.date(2026, 9, d)), (lambda d: dt.date(2026, 10, d)), (lambda d: dt.date(2026, 11, d))

# key, room code, salesperson, stage, state, subscribed_on, signed_on, ended (local date), total
DEALS = [
    ("d1", "1栋-101", "E1003", "signed", "active", SEP(5), SEP(20), None, D("1960000.00")),
    ("d2", "1栋-102", "E1003", "signed", "active", SEP(12), OCT(8), None, D("1900000.00")),
    ("d3", "1栋-201", "E1006", "subscribed", "active", OCT(3), None, None, D("2000000.00")),
    ("d4", "1栋-202", "E1006", "signed", "active", OCT(10), OCT(25), None, D("1950000.00")),
    ("d5", "1栋-301", "E1003", "subscribed", "cancelled", OCT(15), None, OCT(28), D("1980000.00")),
    ("d6", "2栋-101", "E1008", "signed", "active", OCT(20), NOV(2), None, D("2500000.00")),
    ("d7", "1栋-302", "E1003", "held", "active", None, None, None, D("2000000.00")),
    ("d8", "1栋-401", "E1006", "booked", "active", None, None, None, D("2000000.00")),
]


def _local_moment(day, hour=10):
    """A stored moment (naive UTC) for `hour` o'clock of the office's `day`."""
    return clock.utc_start_of(day) + dt.timedelta(hours=hour)


def employee(number):
    return db.session.query(Employee).filter_by(number=number).one()


def build():
    s = types.SimpleNamespace(rooms={}, deals={}, customers={}, receivables={}, receipts={})
    developer = db.session.query(Department).filter_by(code="HN").one()
    project = Project(name="报表花园", code="RPT", city="广州", developer=developer, price_rounding="fen",
                      hold_hours=24, booking_days=7, active=True)
    db.session.add(project)
    db.session.flush()
    s.project = project
    home = PropertyType(project_id=project.id, name="住宅", code="house", is_parking=False, sort_order=0)
    db.session.add(home)
    s.layouts = {name: Layout(project_id=project.id, name=name, bedrooms=3, living_rooms=2, bathrooms=2,
                              typical_area=D("100.00")) for name in ("A", "B")}
    db.session.add_all(s.layouts.values())
    s.phases = {name: Phase(project_id=project.id, name=name, sort_order=i) for i, name in enumerate(("一期", "二期"))}
    db.session.add_all(s.phases.values())
    db.session.flush()
    s.buildings = {}
    for order, (name, phase, floors, price) in enumerate((("1栋", "一期", 12, D("20000.00")),
                                                          ("2栋", "二期", 3, D("26000.00")))):
        building = Building(project_id=project.id, phase_id=s.phases[phase].id, name=name, floors_above=floors,
                            floors_below=0, units_count=1, sort_order=order)
        db.session.add(building)
        db.session.flush()
        unit = Unit(building_id=building.id, name="1单元", sort_order=0)
        db.session.add(unit)
        db.session.flush()
        s.buildings[name] = building
        for floor in range(1, floors + 1):
            for pos, layout in ((1, "A"), (2, "B")):
                number = "%d%02d" % (floor, pos)
                code = "%s-%s" % (name, number)
                status = "available"
                if name == "2栋" and floor == 3:
                    status = "unreleased"
                if code == "1栋-1201":
                    status = "not_for_sale"
                room = Room(project_id=project.id, building_id=building.id, unit_id=unit.id, floor=floor,
                            number=number, code=code, layout_id=s.layouts[layout].id, property_type_id=home.id,
                            area_gross=D("100.00"), area_inner=D("80.00"), list_unit_price=price,
                            list_total_price=price * 100, floor_price=price * 95, status=status)
                db.session.add(room)
                s.rooms[code] = room
    db.session.flush()
    for number in ("E1003", "E1006", "E1008"):
        db.session.add(SalesPermission(employee_id=employee(number).id, project_id=project.id))
    for key, code, seller, stage, state, subscribed, signed, ended, total in DEALS:
        room = s.rooms[code]
        customer = Customer(name="客户" + key, owner_id=employee(seller).id, created_at=_local_moment(SEP(1)))
        db.session.add(customer)
        db.session.flush()
        s.customers[key] = customer
        deal = Deal(project_id=project.id, room_id=room.id, customer_id=customer.id, employee_id=employee(seller).id,
                    stage=stage, state=state, subscribed_on=subscribed, signed_on=signed,
                    list_total=room.list_total_price, total=total,
                    unit_price=(total / room.area_gross).quantize(D("0.01")),
                    subscription_no="RPT-S-" + key if subscribed else None,
                    contract_no="RPT-C-" + key if signed else None,
                    sign_by=(subscribed + dt.timedelta(days=15)) if subscribed else None,
                    held_at=_local_moment(subscribed or NOV(20)), created_at=_local_moment(subscribed or NOV(20)),
                    ended_at=_local_moment(ended) if ended else None)
        db.session.add(deal)
        s.deals[key] = deal
        if state == "active":
            room.status = stage
    db.session.flush()
    return s


def receivable(s, key, deal_key, amount, due, received=D("0"), fees=False, kind="deposit"):
    deal = s.deals[deal_key]
    row = Receivable(project_id=deal.project_id, deal_id=deal.id, kind=kind, label=kind, collected_for_others=fees,
                     position=len(s.receivables), amount=amount, adjusted=D("0"), received=received, due_date=due,
                     status="open", created_at=_local_moment(due))
    db.session.add(row)
    db.session.flush()
    s.receivables[key] = row
    return row


def receipt(s, key, deal_key, allocations, paid_on, status="valid", method="transfer"):
    """A receipt of the sum of `allocations` [(receivable key, amount)] paid on `paid_on`."""
    deal = s.deals[deal_key]
    amount = sum((a for _k, a in allocations), D("0"))
    seq = len(s.receipts) + 1
    row = Receipt(project_id=deal.project_id, deal_id=deal.id, seq=seq, number="RPT-R%04d" % seq, amount=amount,
                  unallocated=D("0"), method=method, payer="客户" + deal_key, paid_on=paid_on, source="desk",
                  status=status, created_at=_local_moment(paid_on))
    db.session.add(row)
    db.session.flush()
    for receivable_key, part in allocations:
        db.session.add(ReceiptAllocation(receipt_id=row.id, receivable_id=s.receivables[receivable_key].id,
                                         amount=part))
    s.receipts[key] = row
    return row


def visit(s, customer_key, day, first=True, kind="visit", channel_id=None, received_by="E1003"):
    row = Visit(customer_id=s.customers[customer_key].id, project_id=s.project.id, kind=kind, channel_id=channel_id,
                visited_at=_local_moment(day), is_first=first, received_by_id=employee(received_by).id)
    db.session.add(row)
    db.session.flush()
    return row


def opportunity(s, customer_key, day, owner="E1003", stage="potential"):
    row = Opportunity(customer_id=s.customers[customer_key].id, project_id=s.project.id, owner_id=employee(owner).id,
                      stage=stage, created_at=_local_moment(day), last_contact_at=_local_moment(day))
    db.session.add(row)
    db.session.flush()
    return row
