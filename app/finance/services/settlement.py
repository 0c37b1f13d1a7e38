"""Area settlement (面积补差): the surveyed (产权登记) areas of one building are imported from a file,
each room with a signed active deal gets its settlement line, and the survey is approved as a whole.

The rule (《商品房销售管理办法》 article 20, the project's FinanceSetting; defaults band 3%, over
factor 0, under factor 2, basis gross). For a deal, A is the contract area of the basis (the room's
area_gross or area_inner: a deal has no area of its own; a room change moves the deal to the new
room, whose areas are then the contract's), S the surveyed one, Δ = S − A, b = band/100 and p the
contract unit price:

- p = deal.total ÷ A, rounded half up to the fen. For the gross basis it is the deal's own
  unit_price (the trial computes that the same way), i.e. the 成交单价 printed on the contract; the
  inner basis gets the same division over the inner area. The notice prints p, so a buyer can
  check every amount with it.
- |Δ| ≤ b×A (the band included): amount = Δ × p (the buyer pays if positive, the developer
  refunds if negative); within = amount, beyond = 0.
- Δ > b×A: within = b×A×p (the buyer pays the band), beyond = (Δ − b×A) × p × area_over_factor
  (0 by default: the developer bears it).
- Δ < −b×A: within = −b×A×p (refunded), beyond = −(|Δ| − b×A) × p × area_under_factor (refunded
  twice over by default).
- within and beyond are each rounded half up to the fen once; amount = within + beyond, so the
  printed figures add up. The ratios (S − A) / A of the gross and the inner area are stored with
  six decimals; the band test itself compares Δ with b×A exactly (no rounding of the ratio).
- |Δ| > b×A: the buyer may cancel instead (may_cancel). That alternative refunds the price paid
  (the allocations of the deal's valid receipts to its 楼款 receivables, 代收费用 excluded) with
  simple interest at cancel_interest_rate a year: for each receipt, its amount × rate × the days
  from its paid_on to the settlement date ÷ 365; the sum is rounded once. The settlement date is
  the approval date once approved, else the day the notice is printed.

Import: all or nothing — an unknown room, a room of another building, a duplicate room, an area
that is not a positive number with at most two decimals, or a missing surveyed inner area where
the project prices the inner area refuses the whole file with the rows named. A row with a room
code and both areas blank is skipped (the template lists every room; unsurveyed ones may stay
blank). Rooms without a signed active deal only record their surveyed area.

Approval (kind "area_settlement", by a sales manager): in one transaction each positive line
becomes a receivable (kind "area", 面积补差款) and each negative line an approved refund (kind
"area_settlement", numbered like every refund: numbering "refund" per project, <code>-TK-000001),
both due the approval date + the project's refund_days. A building is surveyed once: a new file is
refused while a survey of it waits for approval or has been approved; drafts and surveys not
approved may be replaced by a new upload (they stay on record).
"""
import csv
import datetime as dt
import decimal
import io

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock
from app.core.errors import BusinessError
from app.core.models.base import utcnow
from app.core.services import approvals, numbering
from app.extensions import db
from app.finance.models import AreaSettlement, AreaSurvey, Receipt, ReceiptAllocation, Receivable, Refund
from app.finance.services import common
from app.finance.services.common import CENT, ZERO, D

KIND = "area_settlement"
TARGET = "area_survey"
REFUND_SCOPE = "refund"
RECEIVABLE_LABEL = "面积补差款"
RECEIVABLE_POSITION = 900
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
MAX_SHOWN = 20
RATIO = D("0.000001")
# A surveyed area more than 50% off the contract's is a typing error, not a survey.
MAX_RATIO = D("0.5")
HUNDRED = D("100")
STATUS_LABELS = {"draft": _l("Draft"), "pending": _l("Pending approval"), "approved": _l("Approved"),
                 "rejected": _l("Not approved")}
BASIS_LABELS = {"gross": _l("Gross area"), "inner": _l("Inner area")}


class NotFound(BusinessError):
    """No such survey or line (a 404)."""


def status_label(status):
    return str(STATUS_LABELS.get(status, status))


def basis_label(basis):
    return str(BASIS_LABELS.get(basis, basis))


def refund_number(project, seq):
    return "%s-TK-%06d" % (project.code, seq)


def fen(value):
    return D(value).quantize(CENT, rounding=decimal.ROUND_HALF_UP)


# ---------------------------------------------------------------- the rule

def rule_of(project_id):
    """The project's rule as stored on a survey (strings, so that JSON keeps them exact)."""
    s = common.settings_for(project_id)
    return {"band": str(D(s.area_band)), "over": str(D(s.area_over_factor)), "under": str(D(s.area_under_factor)),
            "basis": s.area_basis if s.area_basis in BASIS_LABELS else "gross",
            "interest": str(D(s.cancel_interest_rate)), "refund_days": int(s.refund_days or 0)}


def unit_price(total, area):
    return fen(D(total) / D(area))


def compute(contract, surveyed, price, band, over=D("0"), under=D("2")):
    """(within, beyond, amount, may_cancel) for one room: see the module docstring."""
    contract, surveyed, price = D(contract), D(surveyed), D(price)
    b = D(band) / HUNDRED
    delta = surveyed - contract
    limit = b * contract
    if abs(delta) <= limit:
        within, beyond = fen(delta * price), ZERO
    elif delta > 0:
        within, beyond = fen(limit * price), fen((delta - limit) * price * D(over))
    else:
        within, beyond = -fen(limit * price), -fen((-delta - limit) * price * D(under))
    return within, beyond, within + beyond, abs(delta) > limit


def ratio(contract, surveyed):
    if contract in (None, 0) or surveyed is None:
        return None
    return ((D(surveyed) - D(contract)) / D(contract)).quantize(RATIO, rounding=decimal.ROUND_HALF_UP)


# ---------------------------------------------------------------- reading the file

def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def _read_rows(filename, data):
    """[(row number, [cell texts])] of an .xlsx or .csv file; BusinessError when unreadable."""
    name = (filename or "").lower()
    if not data:
        raise BusinessError(_("Choose a file (.xlsx or .csv) to upload."))
    if len(data) > MAX_BYTES:
        raise BusinessError(_("The file is larger than 5 MB."))
    rows = []
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = book.worksheets[0]
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                rows.append((number, [_cell_text(v) for v in values[:3]]))
                if number > MAX_ROWS + 1:
                    break
            book.close()
        except Exception:  # openpyxl raises many kinds for a damaged or foreign file
            raise BusinessError(_("The file could not be read as an Excel workbook (.xlsx)."))
    elif name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                text = None
        if text is None:
            raise BusinessError(_("The file could not be read as text (UTF-8 or GBK)."))
        try:
            for number, values in enumerate(csv.reader(io.StringIO(text)), start=1):
                rows.append((number, [_cell_text(v) for v in values[:3]]))
                if number > MAX_ROWS + 1:
                    break
        except csv.Error:
            raise BusinessError(_("The file could not be read as CSV."))
    else:
        raise BusinessError(_("Upload an Excel workbook (.xlsx) or a CSV file."))
    if len(rows) > MAX_ROWS + 1:
        raise BusinessError(_("The file has more than %(n)d rows.", n=MAX_ROWS))
    return rows


def _area(text):
    """A positive area with at most two decimals, or None when blank; ValueError otherwise."""
    text = (text or "").replace(",", "").replace("㎡", "").strip()
    if not text:
        return None
    try:
        value = D(text)
    except decimal.InvalidOperation:
        raise ValueError
    if not value.is_finite() or value <= 0 or value >= D("100000"):
        raise ValueError
    if value != value.quantize(CENT):
        # Excel keeps 89.5 as 89.49999999999999 now and then: accept float noise, not real decimals.
        if abs(value - value.quantize(CENT)) > D("0.0000001"):
            raise ValueError
        value = value.quantize(CENT)
    return value.quantize(CENT)


def _is_header(cells):
    try:
        _area(cells[1] if len(cells) > 1 else "")
        return False
    except ValueError:
        return True


def _refuse(problems):
    shown = problems[:MAX_SHOWN]
    text = "; ".join(shown)
    if len(problems) > MAX_SHOWN:
        text += _(" … and %(n)d more.", n=len(problems) - MAX_SHOWN)
    raise BusinessError(_("The file was not imported, nothing was stored: %(problems)s", problems=text))


def parse(building, filename, data, basis="gross"):
    """[(room, surveyed gross, surveyed inner)] of the file; BusinessError naming the bad rows."""
    from app.inventory.models import Room
    rows = _read_rows(filename, data)
    rows = [(n, c) for n, c in rows if any(c)]
    if rows and _is_header(rows[0][1]):
        rows = rows[1:]
    if not rows:
        raise BusinessError(_("The file has no rows of surveyed areas."))
    codes = {c[0] for _n, c in rows if c and c[0]}
    rooms = {}
    for chunk_start in range(0, len(codes), 500):
        chunk = list(codes)[chunk_start:chunk_start + 500]
        for room in db.session.query(Room).filter(Room.project_id == building.project_id, Room.code.in_(chunk)):
            rooms[room.code] = room
    problems, seen, out = [], {}, []
    for number, cells in rows:
        cells = cells + [""] * (3 - len(cells))
        code, gross_text, inner_text = cells[0], cells[1], cells[2]
        if not code:
            problems.append(_("row %(row)d: no room code", row=number))
            continue
        room = rooms.get(code)
        if room is None:
            problems.append(_("row %(row)d: unknown room “%(code)s”", row=number, code=code[:80]))
            continue
        if room.building_id != building.id:
            problems.append(_("row %(row)d: room %(code)s is in another building (%(building)s)", row=number,
                              code=code, building=room.building.name))
            continue
        if code in seen:
            problems.append(_("row %(row)d: room %(code)s already on row %(first)d", row=number, code=code,
                              first=seen[code]))
            continue
        seen[code] = number
        try:
            gross = _area(gross_text)
        except ValueError:
            problems.append(_("row %(row)d: the surveyed gross area “%(value)s” is not a positive number",
                              row=number, value=gross_text[:30]))
            continue
        try:
            inner = _area(inner_text)
        except ValueError:
            problems.append(_("row %(row)d: the surveyed inner area “%(value)s” is not a positive number",
                              row=number, value=inner_text[:30]))
            continue
        if gross is None and inner is None:
            continue
        if gross is None:
            problems.append(_("row %(row)d: the surveyed gross area of room %(code)s is missing", row=number,
                              code=code))
            continue
        if inner is not None and inner > gross:
            problems.append(_("row %(row)d: the inner area of room %(code)s is larger than its gross area",
                              row=number, code=code))
            continue
        out.append((number, room, gross, inner))
    if problems:
        _refuse(problems)
    if not out:
        raise BusinessError(_("The file has no rows of surveyed areas."))
    return out


# ---------------------------------------------------------------- import

def _signed_deals(room_ids):
    from app.sales.models import Deal
    if not room_ids:
        return {}
    rows = db.session.query(Deal).filter(Deal.room_id.in_(room_ids), Deal.state == "active",
                                         Deal.stage == "signed").all()
    return {d.room_id: d for d in rows}


def _blocking(building_id, except_id=None):
    query = db.session.query(AreaSurvey).filter(AreaSurvey.building_id == building_id,
                                                AreaSurvey.status.in_(("pending", "approved")))
    if except_id is not None:
        query = query.filter(AreaSurvey.id != except_id)
    return query.order_by(AreaSurvey.id).first()


def _lock_building(building_id):
    """Queue the steps that settle one building (submit, approve) on its row."""
    from app.inventory.models import Building
    db.session.query(Building.id).filter(Building.id == building_id).with_for_update().first()


def _check_not_blocked(building, except_id=None):
    other = _blocking(building.id, except_id)
    if other is not None:
        if other.status == "approved":
            raise BusinessError(_("The areas of building %(building)s were settled by survey #%(id)d, approved; a "
                                  "building is settled once.", building=building.name, id=other.id))
        raise BusinessError(_("Survey #%(id)d of building %(building)s is waiting for approval; wait for the "
                              "decision first.", building=building.name, id=other.id))


def get_building(building_id, project_id=None):
    from app.inventory.models import Building
    try:
        building_id = int(building_id)
    except (TypeError, ValueError):
        building_id = None
    building = db.session.get(Building, building_id) if building_id and 0 < building_id < 2 ** 31 else None
    if building is None:
        raise BusinessError(_("Choose a building."))
    if project_id not in (None, "") and str(building.project_id) != str(project_id):
        raise BusinessError(_("Building %(building)s is not in the chosen project.", building=building.name))
    return building


def import_survey(building, filename, data, user=None, commit=True):
    """A draft survey with its lines computed; BusinessError (nothing stored) for a bad file."""
    _check_not_blocked(building)
    rule = rule_of(building.project_id)
    parsed = parse(building, filename, data, rule["basis"])
    deals = _signed_deals([room.id for _n, room, _g, _i in parsed])
    band, over, under = D(rule["band"]), D(rule["over"]), D(rule["under"])
    problems = []
    survey = AreaSurvey(project_id=building.project_id, building_id=building.id, filename=(filename or "")[:200],
                        status="draft", rule=rule, created_by_id=getattr(user, "id", None), created_at=utcnow())
    lines = []
    for number, room, gross, inner in parsed:
        line = AreaSettlement(room_id=room.id, contract_gross=room.area_gross, contract_inner=room.area_inner,
                              surveyed_gross=gross, surveyed_inner=inner, ratio_gross=ratio(room.area_gross, gross),
                              ratio_inner=ratio(room.area_inner, inner), may_cancel=False)
        if any(r is not None and abs(r) > MAX_RATIO for r in (line.ratio_gross, line.ratio_inner)):
            problems.append(_("row %(row)d: the surveyed area of room %(code)s differs from its contract area by "
                              "more than half; check the figures", row=number, code=room.code))
            continue
        deal = deals.get(room.id)
        if deal is not None:
            contract, surveyed = (room.area_gross, gross) if rule["basis"] == "gross" else (room.area_inner, inner)
            if not contract:
                problems.append(_("row %(row)d: room %(code)s has no contract inner area, which the project prices",
                                  row=number, code=room.code))
                continue
            if surveyed is None:
                problems.append(_("row %(row)d: the surveyed inner area of room %(code)s is missing (the project "
                                  "prices the inner area)", row=number, code=room.code))
                continue
            if not deal.total:
                problems.append(_("row %(row)d: the deal of room %(code)s has no price", row=number, code=room.code))
                continue
            price = unit_price(deal.total, contract)
            within, beyond, amount, may_cancel = compute(contract, surveyed, price, band, over, under)
            line.deal_id = deal.id
            line.unit_price = price
            line.within_amount, line.beyond_amount, line.amount = within, beyond, amount
            line.may_cancel = may_cancel
        lines.append(line)
    if problems:
        _refuse(problems)
    db.session.add(survey)
    db.session.flush()
    for line in lines:
        line.survey_id = survey.id
        db.session.add(line)
    db.session.flush()
    if commit:
        db.session.commit()
    return survey


# ---------------------------------------------------------------- reading

def get_survey(survey_id):
    try:
        survey_id = int(survey_id)
    except (TypeError, ValueError):
        raise NotFound(_("There is no such survey."))
    survey = db.session.get(AreaSurvey, survey_id) if 0 < survey_id < 2 ** 31 else None
    if survey is None:
        raise NotFound(_("There is no such survey."))
    return survey


def get_line(survey, line_id):
    try:
        line_id = int(line_id)
    except (TypeError, ValueError):
        raise NotFound(_("There is no such line."))
    line = db.session.get(AreaSettlement, line_id) if 0 < line_id < 2 ** 31 else None
    if line is None or line.survey_id != survey.id:
        raise NotFound(_("There is no such line."))
    return line


def totals(survey):
    lines = [l for l in survey.lines if l.amount is not None]
    pay = sum((l.amount for l in lines if l.amount > 0), ZERO)
    refund = sum((-l.amount for l in lines if l.amount < 0), ZERO)
    return {"rooms": len(survey.lines), "deals": len(lines), "pay": pay, "refund": refund, "net": pay - refund,
            "pay_count": sum(1 for l in lines if l.amount > 0), "refund_count": sum(1 for l in lines if l.amount < 0),
            "may_cancel": sum(1 for l in lines if l.may_cancel)}


def surveys(project_id=None, page=0, page_size=20):
    query = db.session.query(AreaSurvey)
    if project_id:
        query = query.filter(AreaSurvey.project_id == project_id)
    total = query.count()
    rows = query.order_by(AreaSurvey.id.desc()).offset(page * page_size).limit(page_size).all()
    return rows, total, max(1, -(-total // page_size))


def line_counts(survey_ids):
    if not survey_ids:
        return {}
    rows = db.session.query(AreaSettlement.survey_id, sa.func.count(AreaSettlement.id),
                            sa.func.count(AreaSettlement.deal_id)) \
        .filter(AreaSettlement.survey_id.in_(survey_ids)).group_by(AreaSettlement.survey_id).all()
    return {sid: (n, d) for sid, n, d in rows}


def settlement_date(survey):
    if survey.status == "approved" and survey.decided_at is not None:
        return clock.local_date(survey.decided_at)
    return clock.local_today()


def deadline(line):
    """The day the money is due: the receivable's due date or the refund's (once approved)."""
    if line.amount is None or line.amount == 0:
        return None
    if line.amount > 0 and line.receivable_id:
        receivable = db.session.get(Receivable, line.receivable_id)
        return receivable.due_date if receivable is not None else None
    return line.refund_due_on


def cancel_alternative(line, on_date=None):
    """What cancelling would refund: the price paid with simple interest (see the module docstring)."""
    if line.deal_id is None:
        return None
    survey = line.survey
    on_date = on_date or settlement_date(survey)
    rate = D((survey.rule or {}).get("interest") or common.settings_for(survey.project_id).cancel_interest_rate)
    rows = db.session.query(Receipt.paid_on, Receipt.number, sa.func.sum(ReceiptAllocation.amount)) \
        .join(ReceiptAllocation, ReceiptAllocation.receipt_id == Receipt.id) \
        .join(Receivable, Receivable.id == ReceiptAllocation.receivable_id) \
        .filter(Receipt.deal_id == line.deal_id, Receipt.status == "valid",
                Receivable.collected_for_others == sa.false()) \
        .group_by(Receipt.id, Receipt.paid_on, Receipt.number).order_by(Receipt.paid_on, Receipt.number).all()
    paid, interest, items = ZERO, D("0"), []
    for paid_on, number, amount in rows:
        amount = D(amount or 0)
        days = max(0, (on_date - paid_on).days)
        part = amount * rate * days / D("365")
        items.append({"number": number, "paid_on": paid_on, "amount": amount, "days": days, "interest": fen(part)})
        paid += amount
        interest += part
    interest = fen(interest)
    return {"paid": paid, "interest": interest, "total": paid + interest, "rate": rate, "on_date": on_date,
            "receipts": items}


# ---------------------------------------------------------------- approval

def _summary(survey):
    t = totals(survey)
    return _("Area settlement of %(project)s %(building)s: %(n)d deals, to collect ¥%(pay)s, to refund ¥%(refund)s",
             project=survey.project.name, building=survey.building.name, n=t["deals"],
             pay="{:,.2f}".format(t["pay"]), refund="{:,.2f}".format(t["refund"]))


def submit(survey, user, reason=None):
    """Send a draft (or a survey not approved before) for a manager's approval."""
    if survey.status not in ("draft", "rejected"):
        raise BusinessError(_("Only a draft survey is submitted for approval."))
    if not any(l.deal_id for l in survey.lines):
        raise BusinessError(_("No room of this survey has a signed deal: there is nothing to settle."))
    req = approvals.submit(KIND, user, TARGET, survey.id, {"survey_id": survey.id}, _summary(survey), reason)
    survey = db.session.get(AreaSurvey, survey.id)
    survey.request_id = req.id
    db.session.commit()
    return req


def _survey_of(req, lock=False):
    query = db.session.query(AreaSurvey).filter(AreaSurvey.id == int(req.target_id))
    if lock:
        query = query.with_for_update(of=AreaSurvey)
    survey = query.populate_existing().one_or_none()
    if survey is None:
        raise BusinessError(_("There is no such survey."))
    return survey


def validate(payload, requester):
    survey = db.session.get(AreaSurvey, int(payload.get("survey_id") or 0))
    if survey is None:
        raise BusinessError(_("There is no such survey."))
    if survey.status not in ("draft", "rejected"):
        raise BusinessError(_("Only a draft survey is submitted for approval."))
    _lock_building(survey.building_id)
    _check_not_blocked(survey.building, except_id=survey.id)
    survey.status = "pending"
    db.session.flush()
    return {"survey_id": survey.id}


def apply(req):
    """Approved: receivables for what the buyers pay, approved refunds for what is paid back."""
    from app.sales.models import Deal
    from app.sales.services import deals as deal_service
    from app.finance.services.receipts import default_payer
    survey = _survey_of(req, lock=True)
    if survey.status != "pending":
        raise BusinessError(_("This survey is not waiting for approval."))
    _lock_building(survey.building_id)
    _check_not_blocked(survey.building, except_id=survey.id)
    today = clock.local_today()
    days = int((survey.rule or {}).get("refund_days", common.settings_for(survey.project_id).refund_days) or 0)
    due = today + dt.timedelta(days=days)
    now = utcnow()
    for line in survey.lines:
        if line.deal_id is None or not line.amount:
            continue
        deal = db.session.get(Deal, line.deal_id)
        if deal is None or deal.state != "active" or deal.stage != "signed" or deal.room_id != line.room_id:
            raise BusinessError(_("The deal of room %(room)s is no longer signed on that room; upload the survey "
                                  "again.", room=line.room.code))
        if line.amount > 0:
            receivable = Receivable(project_id=survey.project_id, deal_id=deal.id, kind="area", label=RECEIVABLE_LABEL,
                                    collected_for_others=False, position=RECEIVABLE_POSITION, amount=line.amount,
                                    adjusted=ZERO, received=ZERO, due_date=due, status="open", created_at=now,
                                    note=_("Area settlement, survey #%(id)d", id=survey.id))
            db.session.add(receivable)
            db.session.flush()
            line.receivable_id = receivable.id
            text = _("Area settlement: the buyer pays ¥%(amount)s by %(date)s", amount="{:,.2f}".format(line.amount),
                     date=due.isoformat())
        else:
            seq = numbering.next_number(REFUND_SCOPE, survey.project_id)
            refund = Refund(project_id=survey.project_id, deal_id=deal.id, seq=seq,
                            number=refund_number(survey.project, seq), kind="area_settlement", amount=-line.amount,
                            payee=default_payer(deal)[:100] or None,
                            reason=_("Area settlement, survey #%(id)d", id=survey.id), status="approved",
                            request_id=req.id, settlement_id=line.id, due_date=due,
                            created_by_id=survey.created_by_id, created_at=now)
            db.session.add(refund)
            line.refund_due_on = due
            text = _("Area settlement: ¥%(amount)s to be refunded by %(date)s", amount="{:,.2f}".format(-line.amount),
                     date=due.isoformat())
        deal_service.event(deal, "note", None, text, {"area_survey": survey.id, "amount": str(line.amount)})
    survey.status = "approved"
    survey.decided_at = now
    db.session.flush()


def on_close(req):
    """Rejected or withdrawn: nothing is charged; the survey may be submitted again or replaced."""
    survey = _survey_of(req, lock=True)
    if survey.status == "pending":
        survey.status = "rejected"
        survey.decided_at = utcnow()
        db.session.flush()


def describe(req):
    survey = db.session.get(AreaSurvey, int(req.target_id))
    if survey is None:
        return [(_("Survey"), "—")]
    t, rule = totals(survey), survey.rule or {}
    return [(_("Project"), survey.project.name), (_("Building"), survey.building.name),
            (_("File"), survey.filename or ""), (_("Rooms surveyed"), t["rooms"]),
            (_("Signed deals settled"), t["deals"]),
            (_("Buyers pay"), "¥{:,.2f} ({})".format(t["pay"], t["pay_count"])),
            (_("Refunded to buyers"), "¥{:,.2f} ({})".format(t["refund"], t["refund_count"])),
            (_("Buyers who may cancel"), t["may_cancel"]),
            (_("Rule"), rule_text(rule))]


def number_text(value):
    """3.00 → 3, 1.50 → 1.5 (a band or factor as people write it)."""
    try:
        value = D(str(value))
    except decimal.InvalidOperation:
        return str(value)
    text = "{:f}".format(value.normalize())
    return text if text != "-0" else "0"


def rule_text(rule):
    rule = rule or {}
    if number_text(rule.get("over", "0")) == "0":
        return _("band ±%(band)s%% of the %(basis)s; beyond it the developer bears a gain and refunds %(under)s× "
                 "of a loss", band=number_text(rule.get("band", "3")), basis=basis_label(rule.get("basis", "gross")),
                 under=number_text(rule.get("under", "2")))
    return _("band ±%(band)s%% of the %(basis)s; beyond it the buyer pays %(over)s× of a gain and is refunded "
             "%(under)s× of a loss", band=number_text(rule.get("band", "3")),
             basis=basis_label(rule.get("basis", "gross")), over=number_text(rule.get("over", "0")),
             under=number_text(rule.get("under", "2")))


def link(req):
    return (_("Area settlement"), "/finance/settlements/%s" % req.target_id)


def register():
    from app.core import roles
    approvals.register_kind(KIND, _l("Area settlement"), apply, approver_roles=(roles.MANAGER,), describe=describe,
                            validate=validate, on_close=on_close, link=link)


# ---------------------------------------------------------------- the template

def template_xlsx(building):
    """An Excel sheet with the building's rooms and their contract areas, the surveyed columns blank."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from app.inventory.models import Room
    book = Workbook()
    sheet = book.active
    sheet.title = "实测面积"
    sheet.append([str(_("Room code")), str(_("Surveyed gross area (㎡)")), str(_("Surveyed inner area (㎡)")),
                  str(_("Contract gross area (㎡)")), str(_("Contract inner area (㎡)"))])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    rooms = db.session.query(Room).filter(Room.building_id == building.id) \
        .order_by(Room.unit_id, Room.floor, Room.number, Room.id).all()
    grey = PatternFill("solid", fgColor="EEEEEE")
    for room in rooms:
        sheet.append([room.code, None, None, float(room.area_gross) if room.area_gross is not None else None,
                      float(room.area_inner) if room.area_inner is not None else None])
        for cell in sheet[sheet.max_row][3:5]:
            cell.fill = grey
            cell.number_format = "0.00"
        for cell in sheet[sheet.max_row][1:3]:
            cell.number_format = "0.00"
    for column, width in zip("ABCDE", (24, 18, 18, 18, 18)):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
