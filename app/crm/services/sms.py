"""Text messages (短信群发): templates with placeholders, the recipient list (chosen customers or
a filter, always within the sender's confidentiality scope), the preview, the send log and the
dispatch through the configured gateway (sms_gateways).

How a send goes: the list is built from the customers the sender may see; opted-out customers
and those without a mobile number become "skipped" rows; an empty list (or one where nobody can receive
a message) is refused and nothing is stored. The message and one row per recipient are written
in bulk. A send of at most LOUPAN_SMS_SYNC_LIMIT recipients is then dispatched at once, in the
request; a bigger one waits for the job crm_sms_dispatch (every minute), which also sends
whatever an interrupted request left queued. The dispatcher claims rows by status
(queued → sending, with a token), so a row is handed to the gateway at most once however many
processes run; a row left "sending" by a process that died is marked failed after a while
(never re-sent: it may have gone out)."""
import dataclasses
import datetime as dt
import math
import re
import time
import uuid

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.errors import BusinessError
from app.core.models import LookupValue
from app.core.models.base import utcnow
from app.core.services.notifications import default_language
from app.crm.models import Customer, Opportunity, SmsMessage, SmsRecipient, SmsTemplate, Visit
from app.crm.models.opportunity import STAGES
from app.crm.services import scope
from app.crm.services import sms_gateways as gateways
from app.crm.services.validation import MOBILE_RE
from app.extensions import db
from app.inventory.models import Project
from app.org.models import Employee

# Each placeholder and the names a template may write it with (Chinese first).
PLACEHOLDERS = {
    "customer_name": ("客户姓名", "name"),
    "customer_title": ("称呼", "title"),
    "project": ("项目", "project"),
    "salesperson": ("置业顾问", "salesperson"),
    "salesperson_phone": ("置业顾问电话", "salesperson_phone"),
}
PLACEHOLDER_LABELS = {
    "customer_name": _l("the customer's name"),
    "customer_title": _l("the customer's surname with 先生 or 女士 (the full name if unknown)"),
    "project": _l("the project chosen when sending"),
    "salesperson": _l("the customer's salesperson"),
    "salesperson_phone": _l("the salesperson's phone"),
}
ALIASES = {alias: key for key, names in PLACEHOLDERS.items() for alias in names}
SAMPLE = {"customer_name": "王伟", "customer_title": "王先生", "project": "云璟花园", "salesperson": "林晓燕",
          "salesperson_phone": "13800138003"}
STAGE_LABELS = {"potential": _l("Potential"), "intent": _l("Intent"), "reserved": _l("Reserved"),
                "subscribed": _l("Subscribed"), "signed": _l("Signed"), "won": _l("Closed (won)"), "lost": _l("Lost")}
STATUS_LABELS = {"queued": _l("Queued"), "sending": _l("Sending"), "sent": _l("Sent"), "failed": _l("Failed"),
                 "skipped": _l("Skipped")}
SKIP_LABELS = {"opted_out": _l("Opted out of text messages"), "no_phone": _l("No mobile number")}

MAX_LENGTH = 500
MAX_ID = 2 ** 31 - 1
MAX_DAYS = 3650
PREVIEW_SAMPLES = 5
INSERT_CHUNK = 1000
CLAIM_BATCH = 100
# After this many systemic failures in a row (gateway down, timing out, key refused) the
# dispatcher stops; the rows it had not tried yet go back to the queue for the next run.
MAX_SYSTEMIC_FAILURES = 3
# A row claimed longer ago than this by a process that never reported back is marked failed.
STALE_CLAIM = dt.timedelta(minutes=10)
JOB_SECONDS = 50
# A send dispatched in the request stops after this long; the job sends the rest.
SYNC_SECONDS = 20


class OutOfScope(BusinessError):
    """The customer (or message) belongs to someone the user may not see: refused, logged."""


class NotFound(BusinessError):
    pass


class EmptyList(BusinessError):
    """Nobody to send to: refused, nothing stored."""


class ListChanged(BusinessError):
    """The list is not the one previewed; the sender looks again before sending."""


def _config(key, default):
    return current_app.config.get(key, default) if has_app_context() else default


# ---- templates and placeholders ------------------------------------------------------------

def normalize_content(content):
    """Full-width braces (typed with a Chinese input method) are placeholders' braces too."""
    return (content or "").replace("｛", "{").replace("｝", "}").strip()


def known_placeholders():
    return "、".join("{%s}" % names[0] for names in PLACEHOLDERS.values())


def parse(content):
    """The content as a list of (literal text, placeholder key or None); BusinessError with a
    clear message for a lone brace, an empty placeholder or unknown names (all of them listed)."""
    text = normalize_content(content)
    parts, unknown, i = [], [], 0
    while i < len(text):
        opening, closing = text.find("{", i), text.find("}", i)
        if closing != -1 and (opening == -1 or closing < opening):
            raise BusinessError(_("The “}” at character %(pos)d has no “{” before it. Write placeholders in "
                                  "braces, e.g. {客户姓名}.", pos=closing + 1))
        if opening == -1:
            parts.append((text[i:], None))
            break
        end, following = text.find("}", opening + 1), text.find("{", opening + 1)
        if end == -1 or (following != -1 and following < end):
            raise BusinessError(_("The “{” at character %(pos)d is not closed. Write placeholders in braces, "
                                  "e.g. {客户姓名}.", pos=opening + 1))
        if opening > i:
            parts.append((text[i:opening], None))
        name = text[opening + 1:end].strip()
        if not name:
            raise BusinessError(_("The placeholder at character %(pos)d is empty. Write its name in the braces, "
                                  "e.g. {客户姓名}.", pos=opening + 1))
        if name in ALIASES:
            parts.append(("", ALIASES[name]))
        elif name not in unknown:
            unknown.append(name)
        i = end + 1
    if unknown:
        raise BusinessError(_("Unknown placeholder %(names)s. Use one of %(known)s.",
                              names="、".join("{%s}" % n[:30] for n in unknown[:5]), known=known_placeholders()))
    return parts


def check_content(content):
    """The cleaned content (braces normalised); BusinessError if it cannot be sent."""
    content = normalize_content(content)
    if not content:
        raise BusinessError(_("Write the text of the message."))
    if len(content) > MAX_LENGTH:
        raise BusinessError(_("A message has at most %(max)d characters; this one has %(count)d.", max=MAX_LENGTH,
                              count=len(content)))
    parse(content)
    return content


def uses(parts, key):
    return any(k == key for _text, k in parts)


def render(parts, values):
    return "".join(text if key is None else (values.get(key) or "") for text, key in parts)


def segments(text):
    """How many SMS the text takes: 70 characters in one, 67 per part of a longer one."""
    length = len(text or "")
    return 1 if length <= 70 else math.ceil(length / 67)


def preview_content(content):
    """The content rendered with sample values (王伟, 云璟花园, 林晓燕 …)."""
    return render(parse(content), SAMPLE)


def check_template(template):
    """Called before a template is saved (autoflush off)."""
    template.name = (template.name or "").strip()
    if not template.name:
        raise BusinessError(_("Give the template a name."))
    if len(template.name) > 100:
        raise BusinessError(_("A template's name has at most 100 characters."))
    template.content = check_content(template.content)
    if template.active is None:
        template.active = True
    query = db.session.query(SmsTemplate.id).filter(SmsTemplate.name == template.name)
    if template.id is not None:
        query = query.filter(SmsTemplate.id != template.id)
    if query.first() is not None:
        raise BusinessError(_("A template named “%(name)s” exists already.", name=template.name))


def check_template_deletable(template):
    used = db.session.query(sa.func.count(SmsMessage.id)).filter(SmsMessage.template_id == template.id).scalar()
    if used:
        raise BusinessError(_("The template was used by %(count)d message(s) and stays in their log; make it "
                              "inactive instead of deleting it.", count=used))


def active_templates():
    return db.session.query(SmsTemplate).filter(SmsTemplate.active.is_(True)).order_by(SmsTemplate.name).all()


def _template(template_id):
    template_id = _int(template_id, _("Choose a message template."))
    if template_id is None:
        raise BusinessError(_("Choose a message template."))
    template = db.session.get(SmsTemplate, template_id)
    if template is None or not template.active:
        raise BusinessError(_("Choose one of the active message templates."))
    return template


# ---- who it goes to -------------------------------------------------------------------------

@dataclasses.dataclass
class Criteria:
    """Chosen customers (customer_ids), or a filter. The project is a filter in a filter and the
    value of {项目} in both."""

    customer_ids: list = dataclasses.field(default_factory=list)
    project_id: int = None
    grade_id: int = None
    stage: str = None
    level_id: int = None
    source_id: int = None
    owner_id: int = None
    not_visited_days: int = None

    FILTERS = ("project_id", "grade_id", "stage", "level_id", "source_id", "owner_id", "not_visited_days")

    def as_dict(self):
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, [], "")}

    @property
    def is_filter(self):
        return not self.customer_ids


def _int(value, message, error=BusinessError):
    """A positive whole number a database integer can hold, None for nothing; else `error`."""
    try:
        return _whole(value)
    except ValueError:
        raise error(message) from None


def _whole(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not text:
            return None
        if not text.isdigit():
            raise ValueError(value)
        number = int(text)
    if number <= 0 or number > MAX_ID:
        raise ValueError(value)
    return number


def _lookup(value, code, message):
    value = _int(value, message)
    if value is None:
        return None
    found = db.session.query(LookupValue.id).filter(LookupValue.id == value, LookupValue.list_code == code).first()
    if found is None:
        raise BusinessError(message)
    return value


def parse_ids(values):
    """Customer ids from a form or a JSON list: whole numbers, each once, in the order given."""
    max_recipients = _config("LOUPAN_SMS_MAX_RECIPIENTS", 20000)
    ids = []
    for raw in values or ():
        number = _int(raw, _("Customer ids are whole numbers."))
        if number is not None and number not in ids:
            ids.append(number)
        if len(ids) > max_recipients:
            raise BusinessError(_("At most %(max)d recipients in one send; narrow the list.", max=max_recipients))
    return ids


def criteria_from(values, customer_ids=()):
    """Criteria from a form or a JSON object (values: a mapping of the FILTERS), checked: every
    id names what it should, the owner is within the sender's scope."""
    criteria = Criteria(customer_ids=parse_ids(customer_ids))
    criteria.project_id = _int(values.get("project_id"), _("Choose a project from the list."))
    if criteria.project_id is not None and db.session.get(Project, criteria.project_id) is None:
        raise BusinessError(_("Choose a project from the list."))
    criteria.grade_id = _lookup(values.get("grade_id"), "opportunity_grade",
                                _("Choose an opportunity grade from the list."))
    stage = values.get("stage")
    if stage not in (None, ""):
        if not isinstance(stage, str) or stage not in STAGES:
            raise BusinessError(_("Choose an opportunity stage from the list."))
        criteria.stage = stage
    criteria.level_id = _lookup(values.get("level_id"), "customer_level", _("Choose a customer level from the list."))
    criteria.source_id = _lookup(values.get("source_id"), "visit_channel", _("Choose a source channel from the list."))
    criteria.owner_id = _int(values.get("owner_id"), _("Choose a salesperson from the list."))
    if criteria.owner_id is not None:
        owner = db.session.get(Employee, criteria.owner_id)
        if owner is None:
            raise BusinessError(_("Choose a salesperson from the list."))
        if not scope.may_see_owner(owner.id):
            scope.log_refusal("customers of employee", owner.id)
            raise OutOfScope(_("The customers of %(name)s are not yours; you may not send them messages.",
                               name=owner.name))
    days = values.get("not_visited_days")
    if days not in (None, ""):
        message = _("“Not visited for” is a number of days from 1 to %(max)d.", max=MAX_DAYS)
        days = _int(days, message)
        if days is None or days > MAX_DAYS:
            raise BusinessError(message)
        criteria.not_visited_days = days
    if criteria.is_filter and all(getattr(criteria, f) is None for f in Criteria.FILTERS):
        raise BusinessError(_("Choose at least one condition (project, grade, stage, level, source, salesperson or "
                              "days without a visit), or the customers."))
    return criteria


def check_customers(ids):
    """Every chosen customer exists and is within the sender's scope; else refused (logged)."""
    if not ids:
        return
    found = dict(db.session.query(Customer.id, Customer.owner_id).filter(Customer.id.in_(ids)).all())
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(_("There is no customer with the id %(id)s.", id=missing[0]))
    condition = scope.owner_condition(Customer.owner_id)
    if condition is None:
        return
    visible = {i for (i,) in db.session.query(Customer.id).filter(Customer.id.in_(ids), condition)}
    foreign = [i for i in ids if i not in visible]
    if foreign:
        for pk in foreign[:20]:
            scope.log_refusal("customer", pk)
        raise OutOfScope(_("%(count)d of the chosen customers belong to another salesperson; you may not send "
                           "them messages.", count=len(foreign)))


def conditions(criteria, now=None):
    """The SQL conditions on Customer: the sender's scope, then the chosen customers or the filter."""
    result = []
    condition = scope.owner_condition(Customer.owner_id)
    if condition is not None:
        result.append(condition)
    if criteria.customer_ids:
        result.append(Customer.id.in_(criteria.customer_ids))
        return result
    opportunity = [Opportunity.customer_id == Customer.id]
    if criteria.project_id is not None:
        opportunity.append(Opportunity.project_id == criteria.project_id)
    if criteria.grade_id is not None:
        opportunity.append(Opportunity.grade_id == criteria.grade_id)
    if criteria.stage is not None:
        opportunity.append(Opportunity.stage == criteria.stage)
    if criteria.grade_id is not None or criteria.stage is not None:
        result.append(sa.exists().where(*opportunity))
    elif criteria.project_id is not None:
        # A customer of the project: an opportunity in it, or a visit to it.
        result.append(sa.or_(sa.exists().where(*opportunity),
                             sa.exists().where(Visit.customer_id == Customer.id,
                                               Visit.project_id == criteria.project_id)))
    if criteria.level_id is not None:
        result.append(Customer.level_id == criteria.level_id)
    if criteria.source_id is not None:
        result.append(Customer.source_id == criteria.source_id)
    if criteria.owner_id is not None:
        result.append(Customer.owner_id == criteria.owner_id)
    if criteria.not_visited_days is not None:
        since = (now or utcnow()) - dt.timedelta(days=criteria.not_visited_days)
        visited = [Visit.customer_id == Customer.id, Visit.visited_at >= since]
        if criteria.project_id is not None:
            visited.append(Visit.project_id == criteria.project_id)
        result.append(~sa.exists().where(*visited))
    return result


def describe(criteria):
    """Who the send went to, in words (the application's language: it stays in the log)."""
    with default_language():
        if criteria.customer_ids:
            if len(criteria.customer_ids) == 1:
                customer = db.session.get(Customer, criteria.customer_ids[0])
                words = [_("Customer: %(name)s", name=customer.name if customer else "—")]
            else:
                words = [_("Chosen customers: %(count)d", count=len(criteria.customer_ids))]
            if criteria.project_id is not None:
                words.append(_("Project: %(name)s", name=db.session.get(Project, criteria.project_id).name))
            return "; ".join(words)[:500]
        names = {}
        ids = [i for i in (criteria.grade_id, criteria.level_id, criteria.source_id) if i is not None]
        if ids:
            names = dict(db.session.query(LookupValue.id, LookupValue.name).filter(LookupValue.id.in_(ids)))
        words = []
        if criteria.project_id is not None:
            words.append(_("Project: %(name)s", name=db.session.get(Project, criteria.project_id).name))
        if criteria.grade_id is not None:
            words.append(_("Opportunity grade: %(name)s", name=names.get(criteria.grade_id, "")))
        if criteria.stage is not None:
            words.append(_("Opportunity stage: %(name)s", name=str(STAGE_LABELS[criteria.stage])))
        if criteria.level_id is not None:
            words.append(_("Customer level: %(name)s", name=names.get(criteria.level_id, "")))
        if criteria.source_id is not None:
            words.append(_("Source channel: %(name)s", name=names.get(criteria.source_id, "")))
        if criteria.owner_id is not None:
            words.append(_("Salesperson: %(name)s", name=db.session.get(Employee, criteria.owner_id).name))
        if criteria.not_visited_days is not None:
            words.append(_("Not visited for %(days)d days", days=criteria.not_visited_days))
        return "; ".join(words)[:500]


# ---- the plan: counts, samples, rows ---------------------------------------------------------

@dataclasses.dataclass
class Plan:
    template: SmsTemplate
    criteria: Criteria
    parts: list
    project: Project = None
    found: int = 0
    opted_out: int = 0
    no_phone: int = 0
    samples: list = dataclasses.field(default_factory=list)  # [(customer, phone, text)]

    @property
    def skipped(self):
        return self.opted_out + self.no_phone

    @property
    def sendable(self):
        return self.found - self.skipped

    @property
    def segments(self):
        return max((segments(text) for _c, _p, text in self.samples), default=segments(render(self.parts, SAMPLE)))


def title_of(name, gender, kind="person"):
    """王先生 / 李女士 for a person whose gender is known; the full name otherwise."""
    name = (name or "").strip()
    if kind == "person" and name and gender in ("male", "female") and re.match(r"[\u3400-\u9fff]", name):
        return name[0] + ("先生" if gender == "male" else "女士")
    return name


def _values(customer, project, owner, sender):
    """The placeholders' values for one customer. The salesperson is the customer's owner (the
    sender when the customer has none)."""
    person = owner or sender
    return {
        "customer_name": customer["name"],
        "customer_title": title_of(customer["name"], customer["gender"], customer["kind"]),
        "project": project.name if project is not None else "",
        "salesperson": person["name"] if person else "",
        "salesperson_phone": (person["phone"] or "") if person else "",
    }


def _prepare(criteria, template_id):
    template = _template(template_id)
    parts = parse(template.content)
    check_customers(criteria.customer_ids)
    project = db.session.get(Project, criteria.project_id) if criteria.project_id is not None else None
    if uses(parts, "project") and project is None:
        raise BusinessError(_("The template “%(name)s” uses {项目}: choose the project.", name=template.name))
    return Plan(template=template, criteria=criteria, parts=parts, project=project)


def _sender():
    employee = scope.current_employee()
    return {"id": employee.id, "name": employee.name, "phone": employee.phone} if employee is not None else None


def _people(ids):
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Employee.id, Employee.name, Employee.phone).where(Employee.id.in_(ids)))
    return {r.id: {"id": r.id, "name": r.name, "phone": r.phone} for r in rows}


def _customer_rows(where, limit=None):
    query = (sa.select(Customer.id, Customer.name, Customer.kind, Customer.gender, Customer.phone, Customer.phone2,
                       Customer.sms_opt_out, Customer.owner_id).where(*where).order_by(Customer.id))
    if limit is not None:
        query = query.limit(limit)
    return [dict(r._mapping) for r in db.session.execute(query)]


def _mobile(row):
    """The number a text can go to: the first mobile of the customer's two phones (a landline
    cannot receive one)."""
    for value in (row["phone"], row["phone2"]):
        if value and MOBILE_RE.match(value):
            return value
    return None


def mobile_of(customer):
    return _mobile({"phone": customer.phone, "phone2": customer.phone2})


def _classify(result, where):
    """Load the list (one query; phones decrypted here, they cannot be read in SQL), mark who is
    skipped and why, count, and refuse an empty or too long list. Returns the rows."""
    max_recipients = _config("LOUPAN_SMS_MAX_RECIPIENTS", 20000)
    rows = _customer_rows(where, limit=max_recipients + 1)
    for row in rows:
        row["mobile"] = _mobile(row)
        row["skip"] = "opted_out" if row["sms_opt_out"] else ("no_phone" if row["mobile"] is None else None)
    result.found = len(rows)
    result.opted_out = sum(1 for r in rows if r["skip"] == "opted_out")
    result.no_phone = sum(1 for r in rows if r["skip"] == "no_phone")
    if not result.found:
        raise EmptyList(_("No customer matches these conditions: nothing was sent."))
    if not result.sendable:
        raise EmptyList(_("None of the %(count)d customers found can receive a text message (opted out or no "
                          "mobile number): nothing was sent.", count=result.found))
    if result.found > max_recipients:
        raise BusinessError(_("More than %(max)d customers match: at most %(max)d recipients in one send; narrow "
                              "the list.", max=max_recipients))
    return rows


def plan(criteria, template_id):
    """What a send would do: how many customers are found, how many are skipped (opted out, no
    mobile number), and the first few messages as they will read. Nothing is written."""
    result = _prepare(criteria, template_id)
    rows = [r for r in _classify(result, conditions(criteria)) if r["skip"] is None][:PREVIEW_SAMPLES]
    people, sender = _people({r["owner_id"] for r in rows if r["owner_id"]}), _sender()
    for row in rows:
        text = render(result.parts, _values(row, result.project, people.get(row["owner_id"]), sender))
        result.samples.append((row, row["mobile"], text))
    return result


def send(criteria, template_id, expected=None, user=None):
    """Store the message and its recipients (in bulk) and dispatch it now if it is small.
    `expected`: the number of messages the sender saw in the preview; a different list is
    refused (ListChanged) so that the sender looks again. Returns the SmsMessage."""
    gateway = gateways.configured()  # a gateway that cannot work refuses the send before anything is stored
    result = _prepare(criteria, template_id)
    rows = _classify(result, conditions(criteria))
    sendable = result.sendable
    if expected is not None and expected != sendable:
        raise ListChanged(_("The list changed since the preview (%(before)d messages then, %(now)d now). Check "
                            "the preview again before sending.", before=expected, now=sendable))
    sender = _sender()
    people = _people({r["owner_id"] for r in rows if r["owner_id"]})
    now = utcnow()
    message = SmsMessage(sender_id=getattr(user or scope.acting_user(), "id", None),
                         sender_employee_id=sender["id"] if sender else None, template_id=result.template.id,
                         project_id=criteria.project_id, text=result.template.content,
                         filter_description=describe(criteria), criteria=criteria.as_dict(), gateway=gateway.name,
                         recipient_count=len(rows), skipped_count=result.skipped, sent_count=0,
                         failed_count=0, created_at=now)
    db.session.add(message)
    db.session.flush()
    records = []
    for row in rows:
        skip = row["skip"]
        text = render(result.parts, _values(row, result.project, people.get(row["owner_id"]), sender))
        records.append({"message_id": message.id, "customer_id": row["id"], "phone": row["mobile"] or row["phone"],
                        "text": text, "status": "skipped" if skip else "queued", "skip_reason": skip, "error": None,
                        "gateway": None, "gateway_ref": None, "claim": None, "claimed_at": None, "sent_at": None})
    for start in range(0, len(records), INSERT_CHUNK):
        db.session.execute(SmsRecipient.__table__.insert(), records[start:start + INSERT_CHUNK])
    db.session.commit()
    if sendable <= _config("LOUPAN_SMS_SYNC_LIMIT", 200):
        dispatch(message_id=message.id, seconds=SYNC_SECONDS)
        db.session.refresh(message)
    return message


# ---- dispatch ----------------------------------------------------------------------------------

@dataclasses.dataclass
class Dispatched:
    sent: int = 0
    failed: int = 0
    requeued: int = 0
    stopped: str = None  # why the dispatcher stopped early (the gateway's systemic failure)

    def __str__(self):
        text = "%d sent, %d failed" % (self.sent, self.failed)
        if self.requeued:
            text += ", %d back in the queue" % self.requeued
        return text + (" (stopped: %s)" % self.stopped if self.stopped else "")


def _claim(limit, message_id=None, now=None):
    """Take up to `limit` queued rows for this run: one UPDATE guarded by the status, so that two
    runs never take the same row. Returns [(id, message_id, phone, text)]."""
    token = uuid.uuid4().hex
    query = sa.select(SmsRecipient.id).where(SmsRecipient.status == "queued")
    if message_id is not None:
        query = query.where(SmsRecipient.message_id == message_id)
    ids = db.session.execute(query.order_by(SmsRecipient.id).limit(limit)).scalars().all()
    if not ids:
        db.session.commit()
        return []
    db.session.execute(sa.update(SmsRecipient).where(SmsRecipient.id.in_(ids), SmsRecipient.status == "queued")
                       .values(status="sending", claim=token, claimed_at=now or utcnow())
                       .execution_options(synchronize_session=False))
    db.session.commit()
    rows = db.session.execute(sa.select(SmsRecipient.id, SmsRecipient.message_id, SmsRecipient.phone,
                                        SmsRecipient.text).where(SmsRecipient.claim == token)
                              .order_by(SmsRecipient.id)).all()
    db.session.commit()  # no transaction stays open while the gateway is called
    return rows


_RESULT = SmsRecipient.__table__


def _record(results):
    if results:
        db.session.execute(_RESULT.update().where(_RESULT.c.id == sa.bindparam("_id")), results)


def _requeue(rows):
    """Claimed rows never handed to the gateway go back to the queue (the next run takes them)."""
    if rows:
        db.session.execute(sa.update(SmsRecipient)
                           .where(SmsRecipient.id.in_([r.id for r in rows]), SmsRecipient.status == "sending")
                           .values(status="queued", claim=None, claimed_at=None)
                           .execution_options(synchronize_session=False))
    return len(rows)


def dispatch(message_id=None, seconds=None, gateway=None):
    """Hand the queued rows (of one message, or all) to the gateway, each at most once. Stops
    after `seconds` (the rows not tried yet go back to the queue) or when the gateway keeps
    failing as a whole (MAX_SYSTEMIC_FAILURES in a row)."""
    gateway = gateway or gateways.configured()
    deadline = time.monotonic() + seconds if seconds else None
    outcome, touched = Dispatched(), set()
    with default_language():
        while True:
            rows = _claim(CLAIM_BATCH, message_id)
            if not rows:
                break
            results, streak, stop = [], 0, False
            for index, row in enumerate(rows):
                if deadline is not None and time.monotonic() > deadline:
                    outcome.requeued += _requeue(rows[index:])
                    stop = True
                    break
                touched.add(row.message_id)
                try:
                    answer = gateway.send(row.phone, row.text, "loupan-%d" % row.id)
                except Exception as e:  # noqa: BLE001 - a gateway's bug fails the message, not the send
                    answer = gateways.Result(False, error=str(e)[:500] or type(e).__name__, systemic=True)
                if answer.ok:
                    streak = 0
                    outcome.sent += 1
                    results.append({"_id": row.id, "status": "sent", "gateway": gateway.name,
                                    "gateway_ref": answer.ref, "error": None, "sent_at": utcnow()})
                    continue
                outcome.failed += 1
                streak = streak + 1 if answer.systemic else 0
                results.append({"_id": row.id, "status": "failed", "gateway": gateway.name, "gateway_ref": None,
                                "error": (answer.error or "")[:500], "sent_at": None})
                if streak >= MAX_SYSTEMIC_FAILURES:
                    outcome.stopped = answer.error
                    outcome.requeued += _requeue(rows[index + 1:])
                    stop = True
                    break
            _record(results)
            db.session.commit()
            if stop:
                break
    refresh_counts(touched)
    return outcome


def expire_stale(now=None):
    """Rows claimed long ago by a run that never reported back (its process died): failed, not
    re-sent — the gateway may have sent them."""
    now = now or utcnow()
    with default_language():
        error = _("Interrupted while sending; it is not known whether the message went out.")
    stale = db.session.execute(sa.select(SmsRecipient.id, SmsRecipient.message_id).where(
        SmsRecipient.status == "sending", SmsRecipient.claimed_at < now - STALE_CLAIM)).all()
    if stale:
        db.session.execute(sa.update(SmsRecipient).where(SmsRecipient.id.in_([r.id for r in stale]),
                                                         SmsRecipient.status == "sending")
                           .values(status="failed", error=error).execution_options(synchronize_session=False))
        db.session.commit()
        refresh_counts({r.message_id for r in stale})
    return len(stale)


def refresh_counts(message_ids):
    """Each message's counts from its rows (one aggregate query), and when it finished."""
    if not message_ids:
        return
    message_ids = sorted(message_ids)
    counts = {}
    for message_id, status, count in db.session.execute(
            sa.select(SmsRecipient.message_id, SmsRecipient.status, sa.func.count(SmsRecipient.id))
            .where(SmsRecipient.message_id.in_(message_ids))
            .group_by(SmsRecipient.message_id, SmsRecipient.status)):
        counts.setdefault(message_id, {})[status] = count
    now = utcnow()
    table = SmsMessage.__table__
    updates = []
    for message_id in message_ids:
        c = counts.get(message_id, {})
        done = not c.get("queued") and not c.get("sending")
        updates.append({"_id": message_id, "recipient_count": sum(c.values()), "skipped_count": c.get("skipped", 0),
                        "sent_count": c.get("sent", 0), "failed_count": c.get("failed", 0),
                        "_done": now if done else None})
    db.session.execute(table.update().where(table.c.id == sa.bindparam("_id"))
                       .values(finished_at=sa.case((sa.bindparam("_done", type_=sa.DateTime).is_(None), None),
                                                   else_=sa.func.coalesce(table.c.finished_at,
                                                                          sa.bindparam("_done", type_=sa.DateTime)))),
                       updates)
    db.session.commit()


def dispatch_job():
    """The job crm_sms_dispatch: stale claims failed, then the queue sent for up to ~50 s."""
    stale = expire_stale()
    waiting = db.session.query(SmsRecipient.id).filter(SmsRecipient.status == "queued").first() is not None
    if not waiting:
        return "nothing queued" + ("; %d interrupted message(s) marked failed" % stale if stale else "")
    outcome = dispatch(seconds=JOB_SECONDS)  # a misconfigured gateway fails the run (shown on the jobs page)
    return str(outcome) + ("; %d interrupted message(s) marked failed" % stale if stale else "")


# ---- opt-out, the log ----------------------------------------------------------------------

def _customer(customer_id):
    customer_id = _int(customer_id, _("There is no such customer."), NotFound)
    customer = db.session.get(Customer, customer_id) if customer_id is not None else None
    if customer is None:
        raise NotFound(_("There is no such customer."))
    if not scope.may_see_owner(customer.owner_id):
        scope.log_refusal("customer", customer_id)
        raise OutOfScope(_("This customer belongs to another salesperson; you may not open it."))
    return customer


def visible_customer(customer_id):
    return _customer(customer_id)


def set_opt_out(customer_id, opted_out):
    """Mark a customer as not wanting text messages (退订), or as accepting them again — by the
    owner, their supervisor or an admin. Audited like any change of the customer."""
    customer = _customer(customer_id)
    customer.sms_opt_out = bool(opted_out)
    db.session.commit()
    return customer


def message_condition():
    """The send log a user sees: their own sends; a supervisor the department's; admins all."""
    return scope.owner_condition(SmsMessage.sender_employee_id)


def visible_messages():
    query = db.session.query(SmsMessage)
    condition = message_condition()
    return query.filter(condition) if condition is not None else query


def get_message(message_id):
    message_id = _int(message_id, _("There is no such message."), NotFound)
    message = db.session.get(SmsMessage, message_id) if message_id is not None else None
    if message is None:
        raise NotFound(_("There is no such message."))
    condition = message_condition()
    if condition is not None and visible_messages().filter(SmsMessage.id == message.id).first() is None:
        scope.log_refusal("sms message", message_id)
        raise OutOfScope(_("This message was sent by someone else; you may not open it."))
    return message


def timeline(customer):
    """The texts a customer was sent, for the Customer 360 page (the log's link only when the
    user may open it)."""
    from app.crm.services.timeline import Entry
    from flask import url_for
    rows = (db.session.query(SmsRecipient).filter(SmsRecipient.customer_id == customer.id)
            .order_by(SmsRecipient.id.desc()).limit(50).all())
    if not rows:
        return []
    condition = message_condition()
    ids = {r.message_id for r in rows}
    visible = ids if condition is None else {
        i for (i,) in db.session.query(SmsMessage.id).filter(SmsMessage.id.in_(ids), condition)}
    entries = []
    for row in rows:
        status = str(STATUS_LABELS.get(row.status, row.status))
        entries.append(Entry(at=row.sent_at or row.message.created_at, kind="sms",
                             title=_("Text message (%(status)s)", status=status), detail=row.text,
                             link=url_for("SmsMessageView.show", pk=row.message_id) if row.message_id in visible
                             else None, who=row.message.sender_name))
    return entries


# ---- demo data ---------------------------------------------------------------------------------

DEMO_TEMPLATES = [
    ("到访邀约", "{客户姓名}您好，{项目}本周末举办暖场活动，诚邀您莅临品鉴。您的置业顾问{置业顾问}，电话{置业顾问电话}。",
     True),
    ("加推通知", "尊敬的{称呼}，{项目}新品加推，精装三房限时优惠，详询置业顾问{置业顾问}：{置业顾问电话}。", True),
    ("节日问候", "{客户姓名}您好，{置业顾问}祝您和家人节日快乐、阖家幸福！", True),
    ("首开通知（停用）", "尊敬的{称呼}，{项目}将于本月首开，敬请关注。", False),
]


def load_demo():
    """A few templates, two customers who opted out, and one past send in the outbox: 林晓燕's
    invitation to her customers of 云璟 (the demo loads as plain inserts, like the customers)."""
    from app.crm.models import Customer as C
    now = utcnow()
    db.session.execute(SmsTemplate.__table__.insert(), [
        {"name": name, "content": content, "active": active, "created_at": now - dt.timedelta(days=30)}
        for name, content, active in DEMO_TEMPLATES])
    sales = db.session.query(Employee).filter_by(number="E1003").one_or_none()
    project = db.session.query(Project).filter_by(code="GZ-YJ").one_or_none()
    template = db.session.query(SmsTemplate).filter_by(name=DEMO_TEMPLATES[0][0]).one()
    if sales is None or project is None:
        return
    rows = _customer_rows([C.owner_id == sales.id], limit=8)
    if len(rows) < 3:
        return
    opted_out = [rows[-1]["id"]] + [r[0] for r in db.session.execute(
        sa.select(C.id).where(C.owner_id != sales.id).order_by(C.id).limit(1))]
    db.session.execute(C.__table__.update().where(C.id.in_(opted_out)).values(sms_opt_out=True))
    rows[-1]["sms_opt_out"] = True
    sent_at = now - dt.timedelta(days=3)
    parts = parse(template.content)
    person = {"name": sales.name, "phone": sales.phone}
    message_id = db.session.execute(SmsMessage.__table__.insert().values(
        sender_id=sales.user_id, sender_employee_id=sales.id, template_id=template.id, project_id=project.id,
        text=template.content, filter_description=describe(Criteria(owner_id=sales.id)),
        criteria={"owner_id": sales.id}, gateway="outbox", recipient_count=len(rows),
        skipped_count=1, sent_count=len(rows) - 1, failed_count=0, created_at=sent_at,
        finished_at=sent_at)).inserted_primary_key[0]
    records = []
    for index, row in enumerate(rows):
        skipped = bool(row["sms_opt_out"])
        records.append({
            "message_id": message_id, "customer_id": row["id"], "phone": row["phone"],
            "text": render(parts, _values(row, project, person, person)),
            "status": "skipped" if skipped else "sent", "skip_reason": "opted_out" if skipped else None,
            "error": None, "gateway": None if skipped else "outbox",
            "gateway_ref": None if skipped else "loupan-demo-%d" % (index + 1), "claim": None, "claimed_at": None,
            "sent_at": None if skipped else sent_at})
    db.session.execute(SmsRecipient.__table__.insert(), records)
    db.session.flush()
