"""Customer 360 (item 8): one page per customer — details (personal data masked as on every
page), lifecycle stage, opportunities, and the whole history in time order, merged from the
timeline sources every part of the application registers (services/timeline.py). Each source
reads its entries with one query, so the page costs the same number of queries whatever the
length of the history. Someone else's customer: refused and logged, as on every CRM page.

Also registers the supervisor's team view of overdue follow-ups (item 4: FollowUpView.team and
a home panel), the other page that looks at customers across salespeople."""
from flask import abort, flash, redirect, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import display, personal_data
from app.core.models import AuditLog
from app.core.services import custom_fields as cf
from app.crm.models import Customer, FollowUp, Opportunity, Visit
from app.crm.services import lifecycle, timeline
from app.crm.views import CONTACT_LABELS, GENDER_LABELS, ID_TYPE_LABELS, KIND_LABELS, STAGE_LABELS, when
from app.crm.views.scoping import REFUSED, foreign
from app.extensions import db
from app.org.models import Employee

HISTORY_LIMIT = 200  # entries per source: the page stays fast for a customer of many years
TEAM = "Team follow-ups overdue"


def _may(permission, view):
    from flask import current_app
    return current_app.appbuilder.sm.has_access(permission, view)


def _stage(stage):
    return str(STAGE_LABELS.get(stage, stage or ""))


# ---------------------------------------------------------------- timeline sources

def visit_entries(customer):
    rows = (db.session.query(Visit).filter(Visit.customer_id == customer.id)
            .order_by(Visit.visited_at.desc()).limit(HISTORY_LIMIT).all())
    may_open = _may("can_show", "VisitView")
    entries = []
    for v in rows:
        if v.kind == "call":
            title = _("Call about %(project)s", project=v.project.name)
        elif v.is_first:
            title = _("First visit to %(project)s", project=v.project.name)
        else:
            title = _("Repeat visit to %(project)s", project=v.project.name)
        wanted = [w for w in (v.layout_wanted, v.floors_wanted, v.notes) if w]
        if v.budget_min or v.budget_max:
            wanted.append(_("budget %(low)s – %(high)s", low=display.money(v.budget_min) or "…",
                            high=display.money(v.budget_max) or "…"))
        entries.append(timeline.Entry(at=v.visited_at, kind="visit", title=title, detail=" · ".join(wanted),
                                      link=url_for("VisitView.show", pk=v.id) if may_open else None,
                                      who=v.received_by.name if v.received_by else ""))
    return entries


def follow_up_entries(customer):
    rows = (db.session.query(FollowUp).filter(FollowUp.customer_id == customer.id)
            .order_by(FollowUp.followed_at.desc()).limit(HISTORY_LIMIT).all())
    may_open = _may("can_show", "FollowUpView")
    entries = []
    for f in rows:
        detail = f.content or ""
        if f.next_date:
            detail += " · " + _("next follow-up %(date)s", date=f.next_date.isoformat())
        entries.append(timeline.Entry(
            at=f.followed_at, kind="follow_up",
            title=_("Follow-up: %(how)s", how=str(CONTACT_LABELS.get(f.contact_type, f.contact_type))),
            detail=detail, link=url_for("FollowUpView.show", pk=f.id) if may_open else None,
            who=f.employee.name if f.employee else ""))
    return entries


def opportunity_entries(customer):
    """Each opportunity created, and each change of its stage as the audit log kept it (lost
    ones with their reason)."""
    opps = (db.session.query(Opportunity).filter(Opportunity.customer_id == customer.id)
            .order_by(Opportunity.id).all())
    if not opps:
        return []
    may_open = _may("can_show", "OpportunityView")
    by_id = {str(o.id): o for o in opps}
    entries = []
    for o in opps:
        entries.append(timeline.Entry(
            at=o.created_at, kind="opportunity",
            title=_("Opportunity for %(project)s created", project=o.project.name),
            detail=_("now: %(stage)s", stage=_stage(o.stage))
            + (" · " + o.lost_reason.name if o.stage == "lost" and o.lost_reason else ""),
            link=url_for("OpportunityView.show", pk=o.id) if may_open else None,
            who=o.owner.name if o.owner else ""))
    changes = (db.session.query(AuditLog, Employee.name)
               .outerjoin(Employee, Employee.user_id == AuditLog.user_id)
               .filter(AuditLog.table_name == "opportunity", AuditLog.action == "update",
                       AuditLog.row_id.in_(list(by_id)))
               .order_by(AuditLog.id).all())
    for log, who in changes:
        stage = (log.changes or {}).get("stage")
        if not stage or len(stage) != 2:
            continue
        opp = by_id[log.row_id]
        before, after = stage
        if after == "lost":
            title = _("Opportunity for %(project)s lost", project=opp.project.name)
        else:
            title = _("Opportunity for %(project)s: %(before)s → %(after)s", project=opp.project.name,
                      before=_stage(before), after=_stage(after))
        entries.append(timeline.Entry(at=log.created_at, kind="opportunity", title=title,
                                      link=url_for("OpportunityView.show", pk=opp.id) if may_open else None,
                                      who=who or log.username or ""))
    return entries


# ---------------------------------------------------------------- the page

def _details(customer):
    """(label, value) of the customer's fields as the user may see them."""
    shown = personal_data.shown
    rows = [
        (_l("Person or company"), str(KIND_LABELS.get(customer.kind, customer.kind or ""))),
        (_l("Phone"), shown(customer.phone)), (_l("Second phone"), shown(customer.phone2)),
        (_l("ID type"), str(ID_TYPE_LABELS.get(customer.id_type, "")) if customer.id_type else ""),
        (_l("ID number"), shown(customer.id_number)),
        (_l("Gender"), str(GENDER_LABELS.get(customer.gender, "")) if customer.gender else ""),
        (_l("Age band"), customer.age_band), (_l("Address"), customer.address), (_l("Region"), customer.region),
        (_l("Occupation"), customer.occupation), (_l("Family"), customer.family),
        (_l("Source channel"), customer.source), (_l("Customer level"), customer.level), (_l("Tags"), customer.tags),
        (_l("Notes"), customer.notes), (_l("Owner"), customer.owner.name if customer.owner else ""),
        (_l("Created on"), when(customer.created_at)),
    ]
    defs = cf.definitions("customer")
    if defs:
        values = cf.display_values(defs, [customer])[0]
        rows += [(d.label, values.get(d.name, "")) for d in defs]
    return [(str(label), value if value not in (None, "") else "") for label, value in rows]


class Customer360View(BaseView):
    route_base = "/crm/customer360"
    default_view = "show"
    base_permissions = ["can_show"]

    @expose("/<pk>")
    @has_access
    def show(self, pk):
        if not str(pk).isdigit() or int(pk) >= 2 ** 31:
            abort(404)
        pk = int(pk)
        if foreign(Customer, pk):
            flash(REFUSED[Customer](), "danger")
            return redirect(url_for("CustomerView.list"))
        customer = db.session.get(Customer, pk)
        if customer is None:
            abort(404)
        opportunities = (db.session.query(Opportunity).filter(Opportunity.customer_id == pk)
                         .order_by(Opportunity.created_at.desc()).all())
        stage = lifecycle.stage_of(customer)
        links = []
        sm = self.appbuilder.sm
        if sm.has_access("can_add", "FollowUpView"):
            links.append((_("Add follow-up"), url_for("FollowUpView.add", _flt_0_customer=pk), "fa-comments"))
        if sm.has_access("can_register", "VisitRegistrationView"):
            links.append((_("Register a visit or call"), url_for("VisitRegistrationView.register", phone_of=pk),
                          "fa-walking"))
        if sm.has_access("can_add", "ServiceRequestView"):
            links.append((_("Record a complaint or request"), url_for("ServiceRequestView.add", customer=pk),
                          "fa-headset"))
        if sm.has_access("can_edit", "CustomerView"):
            links.append((_("Edit"), url_for("CustomerView.edit", pk=pk), "fa-edit"))
        if sm.has_access("can_show", "CustomerView"):
            links.append((_("Details and related records"), url_for("CustomerView.show", pk=pk), "fa-list"))
        return self.render_template(
            "crm/customer_360.html", customer=customer, details=_details(customer), stage=stage,
            stage_label=lifecycle.label(stage), stages=[(s, lifecycle.label(s)) for s in lifecycle.RANKS],
            stage_rank=lifecycle.RANKS[stage], opportunities=opportunities, stage_labels=STAGE_LABELS,
            entries=timeline.entries(customer), links=links,
            may_open_opportunity=sm.has_access("can_show", "OpportunityView"), chance_label=_("Chance (%)"),
            may_history=sm.has_access("can_history", "AuditLogView"), when=when,
        )


def row_links(view, pks):
    """The "360" button on each row of the customer list."""
    if not view.appbuilder.sm.has_access("can_show", "Customer360View"):
        return None
    label = _("Customer 360")
    return lambda pk: [(label, url_for("Customer360View.show", pk=pk), "fa-id-card", "loupan-360")]


def init_app(app, appbuilder, first):
    """first: True the first time in this process (register demo data, home panels once)."""
    from app.core import home, roles
    from app.crm import CUSTOMERS
    from app.crm.services import team
    from app.crm.views import CustomerView

    CustomerView.add_row_link_provider(row_links)

    if first:
        for source in (visit_entries, follow_up_entries, opportunity_entries):
            timeline.register(source)
        home.register_panel(team.home_panel)
    appbuilder.add_view_no_menu(Customer360View)
    appbuilder.add_link(TEAM, label=_l("My team's overdue follow-ups"), href="/followupview/team/",
                        icon="fa-users", category=CUSTOMERS)
    roles.extend(
        permissions={roles.SALES: {"Customer360View": ("can_show",)},
                     roles.MANAGER: {"Customer360View": ("can_show",), "FollowUpView": ("can_team",)}},
        menus={roles.MANAGER: [TEAM]},
    )

