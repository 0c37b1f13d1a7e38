"""Price analysis (价格分析): what the deals subscribed in a period were listed at and what they
were sold for — the discount given, by project or building, by layout, by salesperson and by
discount policy.

Figures, over the deals subscribed in the period (`measures.deal_measure("subscribed")`, whatever
became of them afterwards), with the report's filters and the user's deal scope:
- Deals: their count; Area: the gross area of their rooms;
- List total (表价总额): the sum of the deals' list totals (`Deal.list_total`, the room's list
  price when the deal was made; a deal without one counts at its deal total, i.e. no discount);
- Deal total (成交总额): the sum of the deals' totals;
- Discount (优惠额) = list total − deal total; Discount rate (优惠率) = discount ÷ list total;
- Average list unit price (表价均价) = list total ÷ area; average deal unit price (成交均价) =
  deal total ÷ area (per ㎡ of gross area).

By discount policy: a deal is counted under each policy it was given (`Deal.policy_ids`,
unnested by `measures.deal_policies()`), so a deal with two policies appears under both and the
rows of that table do not add up to the total; deals given no policy make the row "No policy".

Each table is one SQL aggregate (four queries whatever the data size); every count and amount
links to the deals behind it, listed with the same conditions."""
from decimal import Decimal as D

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.inventory.models import Building, Layout, Project, Room
from app.org.models import Employee
from app.reports.services import measures
from app.reports.services.sales_period import sheets_bytes
from app.sales.models import Deal
from app.sales.models.discount import DiscountPolicy

MEASURE = "subscribed"
CENT = D("0.01")
RATE = D("0.0001")
LIST = sa.func.coalesce(Deal.list_total, Deal.total)


def _columns():
    return [sa.func.count(Deal.id).label("count"), sa.func.coalesce(sa.func.sum(Room.area_gross), 0).label("area"),
            sa.func.coalesce(sa.func.sum(LIST), 0).label("list_total"),
            sa.func.coalesce(sa.func.sum(Deal.total), 0).label("amount")]


def _query(f, keys):
    return (db.session.query(*keys, *_columns()).select_from(Deal).join(Room, Room.id == Deal.room_id)
            .filter(*measures.deal_measure(MEASURE, f.start, f.end), *f.deal_conditions(room=Room)))


def figures(count, area, list_total, amount):
    area, list_total, amount = D(area or 0), D(list_total or 0), D(amount or 0)
    discount = list_total - amount
    return {"count": int(count or 0), "area": area, "list_total": list_total, "amount": amount, "discount": discount,
            "rate": (discount / list_total).quantize(RATE) if list_total else None,
            "list_price": (list_total / area).quantize(CENT) if area else None,
            "deal_price": (amount / area).quantize(CENT) if area else None}


def _row(r, **extra):
    return dict(extra, **figures(r.count, r.area, r.list_total, r.amount))


def report(f):
    """{places, place_kind, layouts, salespeople, policies, total}: four queries."""
    if f.project_id:
        places = (_query(f, (Building.id, Building.name, Building.sort_order))
                  .join(Building, Building.id == Room.building_id)
                  .group_by(Building.id, Building.name, Building.sort_order).order_by(Building.sort_order, Building.id))
        place_rows = [_row(r, id=r.id, name=r.name, keys={"building": r.id}) for r in places]
        place_kind = "building"
    else:
        places = (_query(f, (Project.id, Project.name)).join(Project, Project.id == Deal.project_id)
                  .group_by(Project.id, Project.name).order_by(Project.name, Project.id))
        place_rows = [_row(r, id=r.id, name=r.name, keys={"project": r.id}) for r in places]
        place_kind = "project"

    layouts = (_query(f, (Room.layout_id, Layout.name, Project.name.label("project")))
               .outerjoin(Layout, Layout.id == Room.layout_id).join(Project, Project.id == Deal.project_id)
               .group_by(Room.layout_id, Layout.name, Project.name).order_by(Project.name, Layout.name, Room.layout_id))
    layout_rows = [_row(r, id=r.layout_id, name=r.name or _("No layout"), project=r.project,
                        keys={"layout": r.layout_id if r.layout_id is not None else "none"}) for r in layouts]

    people = (_query(f, (Employee.id, Employee.name, Employee.number)).join(Employee, Employee.id == Deal.employee_id)
              .group_by(Employee.id, Employee.name, Employee.number).order_by(Employee.number, Employee.id))
    people_rows = [_row(r, id=r.id, name=r.name, number=r.number, keys={"employee": r.id}) for r in people]

    unnested = measures.deal_policies()
    given = sa.select(unnested.c.deal_id, unnested.c.policy_id).distinct().subquery("given")
    policies = (_query(f, (given.c.policy_id, DiscountPolicy.name))
                .outerjoin(given, given.c.deal_id == Deal.id)
                .outerjoin(DiscountPolicy, DiscountPolicy.id == given.c.policy_id)
                .group_by(given.c.policy_id, DiscountPolicy.name).order_by(given.c.policy_id.is_(None), DiscountPolicy.name,
                                                                           given.c.policy_id))
    policy_rows = [_row(r, id=r.policy_id,
                        name=(r.name or "#%d" % r.policy_id) if r.policy_id is not None else _("No policy"),
                        keys={"policy": r.policy_id if r.policy_id is not None else "none"}) for r in policies]

    sums = [sum((r[k] for r in place_rows), D("0")) for k in ("area", "list_total", "amount")]
    total = figures(sum(r["count"] for r in place_rows), *sums)
    return {"places": place_rows, "place_kind": place_kind, "layouts": layout_rows, "salespeople": people_rows,
            "policies": policy_rows, "total": total}


# -- Excel -------------------------------------------------------------------------------------
def headers():
    return [_("Deal count"), _("Area"), _("List total"), _("Deal total"), _("Discount given"), _("Discount rate"),
            _("Average list unit price"), _("Average deal unit price")]


def figures_row(r):
    return [r["count"], r["area"], r["list_total"], r["amount"], r["discount"], r["rate"], r["list_price"],
            r["deal_price"]]


def export(f, data, title):
    head = headers()
    place = _("Building") if data["place_kind"] == "building" else _("Project")
    sheets = [
        (place, [place, *head], [[r["name"], *figures_row(r)] for r in data["places"]]
         + [[_("Total"), *figures_row(data["total"])]]),
        (_("Layout"), [_("Project"), _("Layout"), *head],
         [[r["project"], r["name"], *figures_row(r)] for r in data["layouts"]]),
        (_("Salesperson"), [_("Salesperson"), *head], [[r["name"], *figures_row(r)] for r in data["salespeople"]]),
        (_("Discount policy"), [_("Discount policy"), *head], [[r["name"], *figures_row(r)] for r in data["policies"]]),
    ]
    return "pricing-%s-%s.xlsx" % (f.period, f.start.isoformat()), sheets_bytes(sheets)
