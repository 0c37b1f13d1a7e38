"""The dunning log (催款记录): every reminder to a deal's buyers about overdue money — by phone,
text message, printed notice, visit or letter — with who, when, the overdue amount at the time,
the result and the date the buyers promised to pay. Actions are never changed or deleted.

Printing notices and sending texts from the arrears list log one action per deal themselves
(method "notice" / "sms"); the others are recorded by hand on the deal's dunning page."""
import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock
from app.core.errors import BusinessError
from app.core.models.base import utcnow
from app.core.services.notifications import default_language
from app.extensions import db
from app.finance.models import DUNNING_METHODS, DunningAction
from app.finance.services import arrears, common
from app.sales.models import DealBuyer
from app.sales.services import deals

METHOD_LABELS = {"phone": _l("Phone call"), "sms": _l("Text message"), "notice": _l("Dunning notice"),
                 "visit": _l("Home visit"), "letter": _l("Letter")}
MAX_PROMISE_DAYS = 3660


def method_label(method):
    return str(METHOD_LABELS.get(method, method or ""))


def _moment(value):
    """A local date and time typed on a form ("2026-11-27 10:30", "2026-11-27T10:30", a date, a
    datetime) → naive UTC; None → now."""
    if value in (None, ""):
        return utcnow().replace(microsecond=0)
    if isinstance(value, dt.datetime):
        local = value
    elif isinstance(value, dt.date):
        local = dt.datetime.combine(value, dt.time(12, 0))
    else:
        text = str(value).strip().replace("T", " ")
        try:
            local = dt.datetime.fromisoformat(text) if " " in text else dt.datetime.combine(
                dt.date.fromisoformat(text), dt.time(12, 0))
        except ValueError:
            raise BusinessError(_("Enter the time of the action as YYYY-MM-DD HH:MM."))
    if local.tzinfo is not None:
        local = clock.to_local(local.astimezone(dt.timezone.utc).replace(tzinfo=None))
    utc = local.replace(tzinfo=clock.zone()).astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    return utc


def _day(value, what):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise BusinessError(_("Enter the %(what)s as YYYY-MM-DD.", what=what))


def record(deal, method, at=None, result=None, promised_on=None, user=None, overdue=None, sms_message_id=None,
           commit=True):
    """Log one dunning action on the deal. Refuses an unknown method, a time in the future or long
    ago, and a promised date before the action's day."""
    user = deals._user(user)
    if method not in DUNNING_METHODS:
        raise BusinessError(_("Choose how the buyers were reminded: phone, text message, notice, visit or letter."))
    moment = _moment(at)
    if moment > utcnow() + dt.timedelta(minutes=5):
        raise BusinessError(_("The time of the action cannot be in the future."))
    day = clock.local_date(moment)
    if day < clock.local_today() - dt.timedelta(days=3660):
        raise BusinessError(_("The time of the action is too long ago."))
    promised = _day(promised_on, _("promised date"))
    if promised is not None:
        if promised < day:
            raise BusinessError(_("The promised date cannot be before the day of the action (%(day)s).",
                                  day=day.isoformat()))
        if promised > day + dt.timedelta(days=MAX_PROMISE_DAYS):
            raise BusinessError(_("The promised date is too far away."))
    text = common.text(result)
    if overdue is None:
        overdue = arrears.overdue_of(deal.id)["total"]
    action = DunningAction(project_id=deal.project_id, deal_id=deal.id, at=moment, method=method,
                           user_id=getattr(user, "id", None), overdue=overdue, result=text, promised_on=promised,
                           sms_message_id=sms_message_id)
    db.session.add(action)
    with default_language():
        note = _("Dunning (%(method)s): %(amount)s overdue", method=method_label(method),
                 amount="¥{:,.2f}".format(overdue))
    if promised is not None:
        with default_language():
            note += _("; promised to pay by %(day)s", day=promised.isoformat())
    deals.event(deal, "note", user, note, {"dunning_method": method})
    deals._finish(commit)
    return action


def history(deal_id):
    """The deal's dunning actions, newest first."""
    return (db.session.query(DunningAction).filter(DunningAction.deal_id == deal_id)
            .order_by(DunningAction.at.desc(), DunningAction.id.desc()).all())


def as_dict(action):
    return {"id": action.id, "deal_id": action.deal_id, "at": action.at.isoformat() + "Z" if action.at else None,
            "method": action.method, "method_label": method_label(action.method),
            "user": _user_name(action.user), "overdue": "%.2f" % action.overdue, "result": action.result,
            "promised_on": action.promised_on.isoformat() if action.promised_on else None,
            "sms_message_id": action.sms_message_id}


def _user_name(user):
    if user is None:
        return ""
    from app.org.services import employee_of
    employee = employee_of(user)
    if employee is not None:
        return employee.name
    return ("%s%s" % (user.last_name or "", user.first_name or "")) or user.username


user_name = _user_name


# ---------------------------------------------------------------------------- text messages

def sms_text(row):
    with default_language():
        return _("Dear %(name)s, the payment of %(amount)s for %(project)s %(room)s has been overdue since "
                 "%(day)s. Please pay it as soon as possible; if you have paid already, please ignore this "
                 "message.", name="%(name)s", amount="¥{:,.2f}".format(row.total), project=row.project,
                 room=row.room, day=row.oldest.isoformat() if row.oldest else "")


def send_sms(deal_ids, user=None, today=None):
    """Text every buyer of the chosen deals (with something overdue) through the CRM's SMS machinery:
    one SmsMessage, one SmsRecipient per buyer (opted-out buyers and those without a mobile are
    "skipped" rows), dispatched now; one DunningAction (sms) per deal with a message queued.
    Returns {"deals": n logged, "messages": queued, "skipped": [(room, buyer, reason)], "none": [rooms]}."""
    from app.crm.models import Customer, SmsMessage, SmsRecipient
    from app.crm.services import scope, sms
    from app.crm.services import sms_gateways as gateways
    user = deals._user(user)
    rows = arrears.rows_of(deal_ids, today)
    if not rows:
        raise BusinessError(_("None of the chosen deals has anything overdue: nothing was sent."))
    gateway = gateways.configured()
    buyers = {}
    for deal_id, customer in (db.session.query(DealBuyer.deal_id, Customer)
                              .join(Customer, Customer.id == DealBuyer.customer_id)
                              .filter(DealBuyer.deal_id.in_([r.deal_id for r in rows]))
                              .order_by(DealBuyer.deal_id, DealBuyer.position)):
        buyers.setdefault(deal_id, []).append(customer)
    records, skipped, none, per_deal = [], [], [], {}
    for row in rows:
        queued = 0
        template = sms_text(row)
        for customer in buyers.get(row.deal_id, []):
            mobile = sms.mobile_of(customer)
            skip = "opted_out" if customer.sms_opt_out else ("no_phone" if mobile is None else None)
            records.append({"customer_id": customer.id, "phone": mobile or customer.phone,
                            "text": template.replace("%(name)s", customer.name), "status": "skipped" if skip
                            else "queued", "skip_reason": skip, "error": None, "gateway": None, "gateway_ref": None,
                            "claim": None, "claimed_at": None, "sent_at": None})
            if skip:
                skipped.append((row.room, customer.name, str(sms.SKIP_LABELS[skip])))
            else:
                queued += 1
        per_deal[row.deal_id] = queued
        if not queued:
            none.append(row.room)
    if not any(per_deal.values()):
        raise BusinessError(_("None of the buyers of the chosen deals can receive a text message (opted out or no "
                              "mobile number): nothing was sent."))
    employee = scope.current_employee()
    with default_language():
        description = _("Dunning: %(count)d deal(s) with overdue payments", count=len(rows))
    message = SmsMessage(sender_id=getattr(user, "id", None), sender_employee_id=employee.id if employee else None,
                         template_id=None, project_id=rows[0].project_id if len({r.project_id for r in rows}) == 1
                         else None, text=sms_text(rows[0]), filter_description=description[:500],
                         criteria={"dunning_deal_ids": [r.deal_id for r in rows]}, gateway=gateway.name,
                         recipient_count=len(records), skipped_count=sum(1 for r in records if r["skip_reason"]),
                         sent_count=0, failed_count=0, created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    for r in records:
        r["message_id"] = message.id
    db.session.execute(SmsRecipient.__table__.insert(), records)
    logged = 0
    for row in rows:
        if not per_deal.get(row.deal_id):
            continue
        with default_language():
            result = _("Text message sent to %(count)d buyer(s)", count=per_deal[row.deal_id])
        record(deals.get_deal(row.deal_id), "sms", result=result, user=user, overdue=row.total,
               sms_message_id=message.id, commit=False)
        logged += 1
    db.session.commit()
    sms.dispatch(message_id=message.id, seconds=sms.SYNC_SECONDS, gateway=gateway)
    return {"deals": logged, "messages": sum(per_deal.values()), "skipped": skipped, "none": none,
            "message_id": message.id}
