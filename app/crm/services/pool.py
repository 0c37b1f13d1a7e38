"""The public pool (公客池). An opportunity in the potential or intent stage that nobody followed up
for the project's number of days returns to the pool (the daily job `crm_pool_return`); a
salesperson may also give one up by hand. Any salesperson may claim from the pool, up to a number
per project and day. In the pool an opportunity has no owner; a customer whose owner no longer owns
any of their opportunities passes to whoever still does, or to nobody.

Every bulk path here is set-based SQL (a few statements per table, never one per row)."""
import dataclasses
import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import clock
from app.core.context import current_actor
from app.core.errors import BusinessError
from app.core.models.audit import AuditLog
from app.core.models.base import utcnow
from app.core.services import notifications
from app.crm.models import Customer, Opportunity
from app.crm.models.pool import CrmPoolSetting, PoolEvent
from app.crm.services import scope
from app.extensions import db
from app.inventory.models import Project
from app.org.models import Employee

# What a project without its own settings follows.
DEFAULT_RETURN_DAYS = 15
DEFAULT_DAILY_CLAIM_LIMIT = 5
DEFAULT_RECLAIM_WAIT_DAYS = 7
# Only these stages return to the pool or may be given up: later ones are deals in progress.
RETURNABLE_STAGES = ("potential", "intent")
PAGE_SIZE = 50

OPP = Opportunity.__table__
CUSTOMER = Customer.__table__


class Refusal(BusinessError):
    """A refusal with the HTTP status the API answers (422 by default)."""

    status = 422

    def __init__(self, message, status=None):
        super().__init__(message)
        if status is not None:
            self.status = status


class NotFound(Refusal):
    status = 404


class OutOfScope(Refusal):
    status = 403


class Taken(Refusal):
    """Someone else was quicker (or it was never in the pool)."""

    status = 409


# ------------------------------------------------------------------ rules and dates

@dataclasses.dataclass
class Rules:
    enabled: bool = True
    return_days: int = DEFAULT_RETURN_DAYS
    daily_claim_limit: int = DEFAULT_DAILY_CLAIM_LIMIT
    reclaim_wait_days: int = DEFAULT_RECLAIM_WAIT_DAYS
    custom: bool = False


def _rules(setting):
    if setting is None:
        return Rules()
    return Rules(enabled=bool(setting.enabled), return_days=setting.return_days,
                 daily_claim_limit=setting.daily_claim_limit, reclaim_wait_days=setting.reclaim_wait_days,
                 custom=True)


def rules_for(project_id):
    setting = db.session.query(CrmPoolSetting).filter(CrmPoolSetting.project_id == project_id).one_or_none()
    return _rules(setting)


def all_rules():
    """project id -> Rules of every project with its own settings (one query)."""
    return {s.project_id: _rules(s) for s in db.session.query(CrmPoolSetting)}


def check_setting(setting):
    """Called before a project's pool settings are saved (autoflush off)."""
    project_id = setting.project.id if setting.project is not None else setting.project_id
    if project_id is None:
        raise BusinessError(_("Choose the project."))
    if setting.return_days is None or not 1 <= setting.return_days <= 365:
        raise BusinessError(_("The days without follow-up before an opportunity returns to the pool must be "
                              "from 1 to 365."))
    if setting.daily_claim_limit is None or not 0 <= setting.daily_claim_limit <= 1000:
        raise BusinessError(_("The daily claim limit must be from 0 to 1000 (0: nobody may claim)."))
    if setting.reclaim_wait_days is None or not 0 <= setting.reclaim_wait_days <= 365:
        raise BusinessError(_("The days before the previous owner may claim back must be from 0 to 365."))
    if setting.enabled is None:
        setting.enabled = True
    other = db.session.query(CrmPoolSetting.id).filter(CrmPoolSetting.project_id == project_id)
    if setting.id is not None:
        other = other.filter(CrmPoolSetting.id != setting.id)
    if other.first() is not None:
        raise BusinessError(_("This project has its pool settings already; edit those."))


# The office's dates of stored (naive UTC) moments, and back (app.core.clock).
utc_start_of = clock.utc_start_of
local_date = clock.local_date


def returns_on(last_contact, rules):
    """The day an opportunity last contacted at `last_contact` returns to the pool (None: never)."""
    if last_contact is None or not rules.enabled:
        return None
    return local_date(last_contact) + dt.timedelta(days=rules.return_days)


# ------------------------------------------------------------------ who may take what

_project_rule = [None]


def register_project_rule(rule):
    """The sales module registers rule(employee, project_column) -> SQL condition or None: the
    projects an employee may sell (售楼权限) are those whose pool customers they may take."""
    _project_rule[0] = rule


def project_condition(employee, project_column):
    """THE place that says which projects' customers an employee may take from the pool: a SQL
    condition on `project_column`, or None for every project (no rule registered, or an admin)."""
    rule = _project_rule[0]
    return rule(employee, project_column) if rule is not None else None


def may_take(employee, project_id):
    condition = project_condition(employee, Project.id)
    if condition is None:
        return True
    return db.session.query(Project.id).filter(Project.id == project_id, condition).first() is not None


# ------------------------------------------------------------------ contacts keep opportunities

def record_contact(customer_id, at=None, opportunity_id=None, project_id=None, employee_id=None):
    """A follow-up or visit happened: the opportunity it was about (by id, or the customer's for
    the project) — or, without one, the customer's opportunities owned by whoever made the contact —
    were last contacted `at` (never moved back). One UPDATE; joins the caller's transaction."""
    at = at or utcnow()
    conditions = [OPP.c.customer_id == customer_id,
                  sa.or_(OPP.c.last_contact_at.is_(None), OPP.c.last_contact_at < at)]
    if opportunity_id is not None:
        conditions.append(OPP.c.id == opportunity_id)
    elif project_id is not None:
        conditions.append(OPP.c.project_id == project_id)
    elif employee_id is not None:
        conditions.append(OPP.c.owner_id == employee_id)
    else:
        return 0
    return db.session.execute(OPP.update().where(*conditions).values(last_contact_at=at)).rowcount


# ------------------------------------------------------------------ audit entries in bulk

def _json_changes(pairs):
    """A SQL expression building the audit log's {field: [before, after]} for each row."""
    dialect = db.session.get_bind().dialect.name
    build_object, build_array = ((sa.func.json_build_object, sa.func.json_build_array) if dialect == "postgresql"
                                 else (sa.func.json_object, sa.func.json_array))
    args = []
    for field, before, after in pairs:
        args += [sa.literal_column("'%s'" % field), build_array(before, after)]
    return build_object(*args)


def _value(value, type_):
    """A constant in a SELECT list; typed on PostgreSQL (an untyped parameter there reads as text),
    as is on SQLite (a CAST there would turn a timestamp into a number)."""
    literal = sa.literal(value, type_)
    return sa.cast(literal, type_) if db.session.get_bind().dialect.name == "postgresql" else literal


def _audit_from_select(table_name, source, row_id, pairs, where):
    """One audit entry per row of `source` matching `where`, written by one INSERT ... SELECT."""
    user_id, username, address = current_actor()
    select = sa.select(
        _value(utcnow(), sa.DateTime), _value(user_id, sa.Integer), _value(username, sa.String),
        _value(address, sa.String), sa.literal_column("'update'"), sa.literal_column("'%s'" % table_name),
        sa.cast(row_id, sa.String), _json_changes(pairs),
    ).select_from(source).where(where)
    table = AuditLog.__table__
    db.session.execute(table.insert().from_select(
        [table.c.created_at, table.c.user_id, table.c.username, table.c.client_address, table.c.action,
         table.c.table_name, table.c.row_id, table.c.changes], select))


def _audit_rows(table_name, changes_by_row):
    user_id, username, address = current_actor()
    now = utcnow()
    rows = [{"created_at": now, "user_id": user_id, "username": username, "client_address": address,
             "action": "update", "table_name": table_name, "row_id": str(pk), "changes": changes}
            for pk, changes in changes_by_row]
    if rows:
        db.session.execute(AuditLog.__table__.insert(), rows)


def _iso(moment):
    return moment.isoformat() if moment is not None else None


# ------------------------------------------------------------------ into the pool

CHUNK = 5000


def _postgresql():
    return db.session.get_bind().dialect.name == "postgresql"


def _chunks(items, size=CHUNK):
    """Id lists for _in(): one array on PostgreSQL, pieces a SQLite statement can take."""
    if _postgresql():
        if items:
            yield list(items)
        return
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _in(column, ids):
    """column IN ids: `= ANY(array)` on PostgreSQL (one parameter however many), IN (...) elsewhere."""
    if _postgresql():
        from sqlalchemy.dialects.postgresql import ARRAY
        return column == sa.any_(sa.bindparam(None, list(ids), type_=ARRAY(sa.Integer)))
    return column.in_(ids)


def _into_pool(where, now, kind, by_user_id=None, note=None):
    """Put every opportunity matching `where` into the pool at `now`, with its events, audit
    entries and the customers' new owners. Returns the rows moved (id, customer_id, pooled_from_id)."""
    moved = db.session.execute(OPP.update().where(where).values(
        pooled_from_id=OPP.c.owner_id, owner_id=None, pooled_at=now)
        .returning(OPP.c.id, OPP.c.customer_id, OPP.c.pooled_from_id)).all()
    if not moved:
        return moved
    just_pooled = OPP.c.pooled_at == now
    events = PoolEvent.__table__
    db.session.execute(events.insert().from_select(
        ["kind", "opportunity_id", "customer_id", "project_id", "employee_id", "by_user_id", "at", "note"],
        sa.select(_value(kind, sa.String), OPP.c.id, OPP.c.customer_id, OPP.c.project_id, OPP.c.pooled_from_id,
                  _value(by_user_id, sa.Integer), _value(now, sa.DateTime), _value(note, sa.String))
        .where(just_pooled)))
    _audit_from_select("opportunity", OPP, OPP.c.id,
                       [("owner_id", OPP.c.pooled_from_id, sa.null()),
                        ("pooled_at", sa.null(), sa.literal_column("'%s'" % now.isoformat()))], just_pooled)
    _pass_customers_on(moved)
    return moved


def _pass_customers_on(moved):
    """A customer whose owner just lost an opportunity to the pool and owns none of theirs any more
    passes to whoever still owns one (the most recently contacted), or to nobody: the old owner no
    longer sees them. Reads what it needs in a few queries, then one UPDATE per new owner."""
    lost = {}
    for row in moved:
        lost.setdefault(row.customer_id, set()).add(row.pooled_from_id)
    owners = {}
    for chunk in _chunks(sorted(lost)):
        # Locked (PostgreSQL) as a transfer would lock them.
        owners.update(db.session.execute(
            sa.select(CUSTOMER.c.id, CUSTOMER.c.owner_id)
            .where(_in(CUSTOMER.c.id, chunk), CUSTOMER.c.owner_id.is_not(None)).with_for_update()).all())
    affected = sorted(cid for cid, owner in owners.items() if owner in lost[cid])
    remaining = {}
    for chunk in _chunks(affected):
        for row in db.session.execute(
                sa.select(OPP.c.customer_id, OPP.c.owner_id,
                          sa.func.coalesce(OPP.c.last_contact_at, OPP.c.created_at).label("last"), OPP.c.id)
                .where(_in(OPP.c.customer_id, chunk), OPP.c.owner_id.is_not(None))):
            remaining.setdefault(row.customer_id, []).append(row)
    heirs = {}
    for cid in affected:
        kept = remaining.get(cid, [])
        if any(row.owner_id == owners[cid] for row in kept):
            continue
        heir = max(kept, key=lambda row: (row.last, row.id)).owner_id if kept else None
        heirs.setdefault(heir, []).append(cid)
    for heir, ids in heirs.items():
        for chunk in _chunks(ids):
            condition = _in(CUSTOMER.c.id, chunk)
            _audit_from_select("customer", CUSTOMER, CUSTOMER.c.id,
                               [("owner_id", CUSTOMER.c.owner_id, _value(heir, sa.Integer))], condition)
            db.session.execute(CUSTOMER.update().where(condition).values(owner_id=heir))


def _neglected(day):
    """The condition of every owned opportunity whose last contact is older than its project's
    days on `day` (projects whose pool is turned off never return anything)."""
    by_days, own_settings = {}, []
    for setting in db.session.query(CrmPoolSetting.project_id, CrmPoolSetting.enabled, CrmPoolSetting.return_days):
        own_settings.append(setting.project_id)
        if setting.enabled:
            by_days.setdefault(max(1, setting.return_days), []).append(setting.project_id)

    def older_than(days):
        # Not followed up for `days` days on `day`: last contact on day - days or earlier.
        cutoff = utc_start_of(day - dt.timedelta(days=days - 1))
        return sa.or_(OPP.c.last_contact_at < cutoff,
                      sa.and_(OPP.c.last_contact_at.is_(None), OPP.c.created_at < cutoff))

    groups = [sa.and_(OPP.c.project_id.in_(ids), older_than(days)) for days, ids in sorted(by_days.items())]
    default = older_than(DEFAULT_RETURN_DAYS)
    groups.append(sa.and_(OPP.c.project_id.not_in(own_settings), default) if own_settings else default)
    return sa.and_(OPP.c.owner_id.is_not(None), OPP.c.pooled_at.is_(None), OPP.c.stage.in_(RETURNABLE_STAGES),
                   sa.or_(*groups))


def return_neglected(day=None):
    """The daily job: return every neglected opportunity to the pool and tell each previous owner
    how many they lost. Idempotent (a returned opportunity has no owner, so a second run finds
    nothing more). Returns how many were returned."""
    day = day or clock.local_today()
    now = utcnow()
    moved = _into_pool(_neglected(day), now, "returned")
    if moved:
        per_owner = {}
        for row in moved:
            per_owner[row.pooled_from_id] = per_owner.get(row.pooled_from_id, 0) + 1
        users = db.session.execute(sa.select(Employee.id, Employee.user_id)
                                   .where(Employee.id.in_(list(per_owner)), Employee.user_id.is_not(None))).all()
        with notifications.default_language():
            for employee_id, user_id in users:
                lost = per_owner[employee_id]
                notifications.notify(user_id, _("%(n)d of your opportunities returned to the public pool", n=lost),
                                     _("They were not followed up in time; anyone may claim them now."),
                                     link="/crm/pool/", commit=False)
    db.session.commit()
    return len(moved)


def _get(opportunity_id):
    try:
        opportunity_id = int(opportunity_id)
    except (TypeError, ValueError):
        raise NotFound(_("There is no such opportunity."))
    if not 0 < opportunity_id < 2 ** 31:
        raise NotFound(_("There is no such opportunity."))
    # The row itself, locked (PostgreSQL) while it changes hands; no joins (FOR UPDATE forbids outer ones).
    row = db.session.execute(sa.select(OPP).where(OPP.c.id == opportunity_id).with_for_update()).first()
    if row is None:
        raise NotFound(_("There is no such opportunity."))
    return row


def release(opportunity_id, reason=None, user=None):
    """Give an opportunity up to the pool by hand (its owner, their supervisor or an admin)."""
    user = user or scope.acting_user()
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise Refusal(_("Keep the reason under 200 characters."))
    row = _get(opportunity_id)
    project = db.session.get(Project, row.project_id)
    if row.pooled_at is not None:
        raise Refusal(_("This opportunity is in the public pool already."))
    if not scope.may_see_owner(row.owner_id):
        scope.log_refusal("opportunity", row.id)
        raise OutOfScope(_("This opportunity belongs to another salesperson; you may not open it."))
    if row.stage not in RETURNABLE_STAGES:
        raise Refusal(_("Only opportunities in the potential or intent stage can be given up to the pool."))
    if not rules_for(row.project_id).enabled:
        raise Refusal(_("The public pool of %(project)s is turned off.", project=project.name))
    now = utcnow()
    moved = _into_pool(sa.and_(OPP.c.id == row.id, OPP.c.pooled_at.is_(None), OPP.c.owner_id == row.owner_id),
                       now, "released", by_user_id=getattr(user, "id", None), note=reason or None)
    if len(moved) != 1:
        db.session.rollback()
        raise Taken(_("The opportunity changed meanwhile; reload the page and try again."))
    owner = db.session.get(Employee, row.owner_id) if row.owner_id else None
    if owner is not None and owner.user_id and owner.user_id != getattr(user, "id", None):
        # A supervisor gave it up for them: the salesperson is told.
        customer = db.session.get(Customer, row.customer_id)
        with notifications.default_language():
            notifications.notify(owner.user_id, _("%(customer)s (%(project)s) was put in the public pool",
                                                  customer=customer.name, project=project.name),
                                 reason or None, link="/crm/pool/", commit=False)
    db.session.commit()
    return db.session.get(Opportunity, row.id)


@dataclasses.dataclass
class Claimed:
    opportunity: Opportunity
    customer_taken: bool
    claimed_today: int
    limit: int


def claims_today(employee_id, project_id=None, day=None):
    """How many the employee claimed on the sales office's `day` (of one project, or per project)."""
    day = day or clock.local_today()
    query = (db.session.query(PoolEvent.project_id, sa.func.count(PoolEvent.id))
             .filter(PoolEvent.employee_id == employee_id, PoolEvent.kind == "claimed",
                     PoolEvent.at >= utc_start_of(day), PoolEvent.at < utc_start_of(day + dt.timedelta(days=1)))
             .group_by(PoolEvent.project_id))
    if project_id is not None:
        return dict(query.filter(PoolEvent.project_id == project_id).all()).get(project_id, 0)
    return dict(query.all())


def claim(opportunity_id, employee=None, user=None):
    """Take an opportunity from the pool: the claimer owns it and, if the customer has no owner,
    the customer. Two salespeople claiming the same one at once: one gets it, the other is told."""
    user = user or scope.acting_user()
    employee = employee or scope.current_employee()
    if employee is None:
        raise Refusal(_("Only salespeople (users linked to an employee) can claim from the pool."), 403)
    if employee.status != "active":
        raise Refusal(_("%(name)s is not active and cannot claim customers.", name=employee.name), 403)
    row = _get(opportunity_id)
    project = db.session.get(Project, row.project_id)
    if row.pooled_at is None or row.owner_id is not None:
        if row.owner_id == employee.id:
            raise Taken(_("This opportunity is yours already."))
        owner = db.session.get(Employee, row.owner_id) if row.owner_id else None
        raise Taken(_("This opportunity is no longer in the public pool: %(name)s has it.",
                      name=owner.name if owner is not None else "—"))
    if not may_take(employee, row.project_id):
        raise OutOfScope(_("You may not take customers of %(project)s.", project=project.name))
    rules = rules_for(row.project_id)
    today = clock.local_today()
    if row.pooled_from_id == employee.id and rules.reclaim_wait_days:
        allowed_from = local_date(row.pooled_at) + dt.timedelta(days=rules.reclaim_wait_days)
        if today < allowed_from:
            raise Refusal(_("This opportunity was yours until %(date)s; you may claim it back from %(from)s.",
                            date=local_date(row.pooled_at).isoformat(), **{"from": allowed_from.isoformat()}))
    if rules.daily_claim_limit <= 0:
        raise Refusal(_("Claiming from the public pool of %(project)s is turned off.", project=project.name))
    # One salesperson's claims one after another (PostgreSQL), so that the limit holds under load.
    db.session.execute(sa.select(Employee.__table__.c.id).where(Employee.__table__.c.id == employee.id)
                       .with_for_update())
    done = claims_today(employee.id, row.project_id, today)
    if done >= rules.daily_claim_limit:
        raise Refusal(_("You have claimed %(n)d opportunities of %(project)s today, the daily limit; "
                        "claim more tomorrow.", n=done, project=project.name))
    now = utcnow()
    taken = db.session.execute(
        OPP.update().where(OPP.c.id == row.id, OPP.c.pooled_at.is_not(None), OPP.c.owner_id.is_(None))
        .values(owner_id=employee.id, pooled_at=None, last_contact_at=now)).rowcount
    if taken != 1:
        db.session.rollback()
        raise Taken(_("Someone claimed this opportunity a moment before you."))
    customer = db.session.execute(sa.select(CUSTOMER.c.owner_id).where(CUSTOMER.c.id == row.customer_id)).first()
    customer_taken = db.session.execute(
        CUSTOMER.update().where(CUSTOMER.c.id == row.customer_id, CUSTOMER.c.owner_id.is_(None))
        .values(owner_id=employee.id)).rowcount == 1
    db.session.add(PoolEvent(kind="claimed", opportunity_id=row.id, customer_id=row.customer_id,
                             project_id=row.project_id, employee_id=employee.id, by_user_id=getattr(user, "id", None),
                             at=now))
    changes = [(row.id, {"owner_id": [None, employee.id], "pooled_at": [_iso(row.pooled_at), None],
                         "last_contact_at": [_iso(row.last_contact_at), now.isoformat()]})]
    _audit_rows("opportunity", changes)
    if customer_taken:
        _audit_rows("customer", [(row.customer_id, {"owner_id": [customer.owner_id, employee.id]})])
    db.session.commit()
    return Claimed(db.session.get(Opportunity, row.id), customer_taken, done + 1, rules.daily_claim_limit)


# ------------------------------------------------------------------ reading

def pool_query(employee=None, project_id=None, grade_id=None, stage=None, name=None):
    """The opportunities in the pool the employee may take, newest in the pool first."""
    query = db.session.query(Opportunity).filter(Opportunity.pooled_at.is_not(None), Opportunity.owner_id.is_(None))
    condition = project_condition(employee, Opportunity.project_id)
    if condition is not None:
        query = query.filter(condition)
    if project_id:
        query = query.filter(Opportunity.project_id == project_id)
    if grade_id:
        query = query.filter(Opportunity.grade_id == grade_id)
    if stage:
        query = query.filter(Opportunity.stage == stage)
    name = (name or "").strip()
    if name:
        query = query.filter(Opportunity.customer_id.in_(
            sa.select(Customer.id).where(Customer.name.contains(name, autoescape=True))))
    return query


def page_of(query, page=0, page_size=PAGE_SIZE, order=None):
    """(total, rows of the page): two queries whatever the page size."""
    total = query.order_by(None).count()
    # The page's ids first (an index does the sorting), then those rows with what they show: the
    # joins for display never run over the whole pool.
    ids = [pk for (pk,) in query.with_entities(Opportunity.id)
           .order_by(*(order or [Opportunity.pooled_at.desc(), Opportunity.id.desc()]))
           .offset(page * page_size).limit(page_size)]
    if not ids:
        return total, []
    found = {o.id: o for o in db.session.query(Opportunity).filter(Opportunity.id.in_(ids))}
    return total, [found[pk] for pk in ids if pk in found]


def at_risk_query():
    """Opportunities the user may see that can still return to the pool, least recently contacted
    first (a salesperson: their own; a supervisor: the team's)."""
    query = db.session.query(Opportunity).filter(Opportunity.pooled_at.is_(None), Opportunity.owner_id.is_not(None),
                                                 Opportunity.stage.in_(RETURNABLE_STAGES))
    condition = scope.owner_condition(Opportunity.owner_id)
    if condition is not None:
        query = query.filter(condition)
    return query


AT_RISK_ORDER = [sa.func.coalesce(Opportunity.last_contact_at, Opportunity.created_at), Opportunity.id]


# ------------------------------------------------------------------ the customer's history

def timeline_entries(customer):
    from app.crm.services.timeline import Entry
    titles = {"returned": _("Returned to the public pool"), "released": _("Given up to the public pool"),
              "claimed": _("Claimed from the public pool")}
    rows = (db.session.query(PoolEvent).filter(PoolEvent.customer_id == customer.id)
            .order_by(PoolEvent.at.desc(), PoolEvent.id.desc()).all())
    out = []
    for event in rows:
        detail = event.project.name
        if event.kind == "returned":
            detail = _("%(project)s: not followed up in time", project=event.project.name)
        if event.note:
            detail += " · " + event.note
        out.append(Entry(at=event.at, kind="pool", title=titles.get(event.kind, event.kind), detail=detail,
                         who=event.employee.name if event.employee is not None else ""))
    return out

