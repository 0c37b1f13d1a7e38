"""The public pool (公客池): the pool a salesperson claims from, their opportunities with the day
each would return to the pool (and giving one up), and the admins' settings per project."""
import datetime as dt

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from app.core import clock
from app.core.crypto import mask
from app.core.errors import BusinessError
from app.core.services.lookup import active_values
from app.core.views.base import LoupanModelView, record_ids
from app.crm.models import CrmPoolSetting
from app.crm.services import pool as pool_service
from app.crm.services import scope
from app.extensions import db
from app.inventory.models import Project

POOL = "Public pool"
MINE = "Returning to the pool"
SETTINGS = "Public pool settings"
FILTERS = ("project", "grade", "stage", "q")
# Days before the return date from which an opportunity shows as about to return.
WARN_DAYS = 3


def _stage_labels():
    from app.crm.views import STAGE_LABELS
    return STAGE_LABELS


def _page(args):
    page = record_ids([args.get("page", "0")])
    return page[0] if page else 0


class PoolView(BaseView):
    route_base = "/crm/pool"
    default_view = "index"
    base_permissions = ["can_list", "can_claim", "can_release"]
    method_permission_name = {"index": "list", "mine": "list", "claim": "claim", "release": "release"}

    @expose("/")
    @has_access
    def index(self):
        """The pool: customers nobody follows up, claimable by any salesperson."""
        args = request.args
        filters = {k: (args.get(k) or "").strip() for k in FILTERS}
        me = scope.current_employee()
        query = pool_service.pool_query(
            me, project_id=(record_ids([filters["project"]]) or [None])[0],
            grade_id=(record_ids([filters["grade"]]) or [None])[0],
            stage=filters["stage"] if filters["stage"] in pool_service.RETURNABLE_STAGES else None, name=filters["q"])
        total, rows = pool_service.page_of(query, _page(args))
        pages = max(1, (total + pool_service.PAGE_SIZE - 1) // pool_service.PAGE_SIZE)
        claimed = pool_service.claims_today(me.id) if me is not None else {}
        rules = pool_service.all_rules()
        projects = db.session.query(Project).filter(Project.active.is_(True)).order_by(Project.code).all()
        return self.render_template(
            "crm/pool.html", rows=rows, total=total, page=_page(args), pages=pages, filters=filters, me=me,
            claimed=claimed, rules=rules, default_rules=pool_service.Rules(), projects=projects,
            grades=active_values("opportunity_grade").all(), stages=pool_service.RETURNABLE_STAGES,
            stage_labels=_stage_labels(), mask=mask, local_date=pool_service.local_date,
            may_claim=me is not None and self.appbuilder.sm.has_access("can_claim", "PoolView"),
            page_url=lambda n: url_for("PoolView.index", page=n, **{k: v for k, v in filters.items() if v}),
        )

    @expose("/claim/<pk>", methods=["POST"])
    @has_access
    def claim(self, pk):
        try:
            result = pool_service.claim(pk)
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return redirect(url_for("PoolView.index"))
        opp = result.opportunity
        flash(_("%(customer)s (%(project)s) is yours now; %(n)d of %(limit)d claims of this project used today.",
                customer=opp.customer.name, project=opp.project.name, n=result.claimed_today, limit=result.limit),
              "success")
        if scope.may_see_owner(opp.customer.owner_id) and self.appbuilder.sm.has_access("can_show", "CustomerView"):
            return redirect(url_for("CustomerView.show", pk=opp.customer_id))
        return redirect(url_for("OpportunityView.show", pk=opp.id))

    @expose("/mine/")
    @has_access
    def mine(self):
        """Open opportunities (a salesperson's own; a supervisor's team's) with the day each returns
        to the pool unless followed up, the nearest first."""
        total, rows = pool_service.page_of(pool_service.at_risk_query(), _page(request.args),
                                           order=pool_service.AT_RISK_ORDER)
        pages = max(1, (total + pool_service.PAGE_SIZE - 1) // pool_service.PAGE_SIZE)
        rules = pool_service.all_rules()
        default = pool_service.Rules()
        today = clock.local_today()
        items = []
        for opp in rows:
            last = opp.last_contact_at or opp.created_at
            items.append((opp, last, pool_service.returns_on(last, rules.get(opp.project_id, default))))
        return self.render_template(
            "crm/pool_mine.html", items=items, total=total, page=_page(request.args), pages=pages,
            tomorrow=today + dt.timedelta(days=1),
            warn=today + dt.timedelta(days=WARN_DAYS), stage_labels=_stage_labels(),
            local_date=pool_service.local_date,
            may_release=self.appbuilder.sm.has_access("can_release", "PoolView"),
            page_url=lambda n: url_for("PoolView.mine", page=n),
        )

    @expose("/release/<pk>", methods=["GET", "POST"])
    @has_access
    def release(self, pk):
        """Give an opportunity up to the pool (with an optional reason)."""
        from app.crm.models import Opportunity
        from app.crm.views.scoping import REFUSED, foreign
        ids = record_ids([str(pk)])
        opp = db.session.get(Opportunity, ids[0]) if ids else None
        if opp is None:
            flash(_("There is no such opportunity."), "danger")
            return redirect(url_for("PoolView.mine"))
        if foreign(Opportunity, opp.id):
            flash(REFUSED[Opportunity](), "danger")
            return redirect(url_for("PoolView.mine"))
        reason = (request.form.get("reason") or "").strip()
        if request.method == "POST":
            try:
                pool_service.release(opp.id, reason)
            except BusinessError as e:
                db.session.rollback()
                flash(str(e), "danger")
                return redirect(url_for("PoolView.mine"))
            flash(_("%(customer)s (%(project)s) is in the public pool now.", customer=opp.customer.name,
                    project=opp.project.name), "success")
            return redirect(url_for("PoolView.mine"))
        return self.render_template("crm/pool_release.html", opp=opp, reason=reason, stage_labels=_stage_labels(),
                                    local_date=pool_service.local_date)


class PoolSettingView(LoupanModelView):
    datamodel = SQLAInterface(CrmPoolSetting)
    list_title = _l("Public pool settings")
    show_title = _l("Public pool settings")
    add_title = _l("Add public pool settings")
    edit_title = _l("Edit public pool settings")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    list_columns = ["project", "enabled", "return_days", "daily_claim_limit", "reclaim_wait_days"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["project", "enabled"]
    base_order = ("project_id", "asc")
    label_columns = {"project": _l("Project"), "enabled": _l("Pool in use"),
                     "return_days": _l("Days without follow-up before return"),
                     "daily_claim_limit": _l("Claims per salesperson a day"),
                     "reclaim_wait_days": _l("Days before the previous owner may claim back")}
    description_columns = {
        "enabled": _l("Off: nothing of this project returns to the pool or may be given up to it."),
        "return_days": _l("An opportunity in the potential or intent stage not followed up for this many days "
                          "returns to the pool (default %(days)d).", days=pool_service.DEFAULT_RETURN_DAYS),
        "daily_claim_limit": _l("How many opportunities of this project one salesperson may claim a day "
                                "(default %(n)d; 0: nobody may claim).", n=pool_service.DEFAULT_DAILY_CLAIM_LIMIT),
        "reclaim_wait_days": _l("The salesperson an opportunity came from may claim it back only after this many "
                                "days (default %(n)d).", n=pool_service.DEFAULT_RECLAIM_WAIT_DAYS),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "return_days": IntegerField(_l("Days without follow-up before return"), widget=BS3TextFieldWidget(),
                                    default=pool_service.DEFAULT_RETURN_DAYS,
                                    validators=[InputRequired(), NumberRange(1, 365)]),
        "daily_claim_limit": IntegerField(_l("Claims per salesperson a day"), widget=BS3TextFieldWidget(),
                                          default=pool_service.DEFAULT_DAILY_CLAIM_LIMIT,
                                          validators=[InputRequired(), NumberRange(0, 1000)]),
        "reclaim_wait_days": IntegerField(_l("Days before the previous owner may claim back"),
                                          widget=BS3TextFieldWidget(), default=pool_service.DEFAULT_RECLAIM_WAIT_DAYS,
                                          validators=[InputRequired(), NumberRange(0, 365)]),
    }

    def before_add(self, item):
        pool_service.check_setting(item)

    before_update = before_add


def _return_job():
    count = pool_service.return_neglected()
    return "%d opportunity(ies) returned to the public pool" % count


def init_app(app, appbuilder, first):
    """first: True the first time in this process (register demo data, home panels once)."""
    from app import demo
    from app.core import roles
    from app.crm import CUSTOMERS
    from app.crm.api.pool import PoolApi
    from app.crm.services import timeline
    from app.jobs.services import register_job

    appbuilder.add_view(PoolView, POOL, label=_l("Public pool"), icon="fa-swimming-pool", category=CUSTOMERS)
    appbuilder.add_link(MINE, label=_l("Returning to the pool"), href="/crm/pool/mine/", icon="fa-hourglass-half",
                        category=CUSTOMERS)
    appbuilder.add_view(PoolSettingView, SETTINGS, label=_l("Public pool settings"), icon="fa-sliders-h",
                        category=CUSTOMERS)
    appbuilder.add_api(PoolApi)
    pool_grants = {"PoolView": ("can_list", "can_claim", "can_release")}
    roles.extend(permissions={roles.SALES: pool_grants, roles.MANAGER: pool_grants},
                 menus={roles.SALES: [POOL, MINE], roles.MANAGER: [POOL, MINE]})
    register_job("crm_pool_return", _return_job, cron="30 1 * * *",
                 label=_l("Return opportunities not followed up in time to the public pool"))
    if first:
        timeline.register(pool_service.timeline_entries)
        demo.register(_demo)


def _demo():
    """Demo data: each demo opportunity's last contact is its customer's latest follow-up or visit
    (the demo writes them in bulk); one project has its own pool settings."""
    import sqlalchemy as sa
    from app.crm.models import FollowUp, Opportunity, Visit
    opp = Opportunity.__table__
    db.session.execute(opp.update().values(last_contact_at=opp.c.created_at))
    for latest in (sa.select(sa.func.max(Visit.visited_at)).where(Visit.customer_id == opp.c.customer_id,
                                                                  Visit.project_id == opp.c.project_id),
                   sa.select(sa.func.max(FollowUp.followed_at)).where(FollowUp.customer_id == opp.c.customer_id)):
        latest = latest.scalar_subquery()
        db.session.execute(opp.update().where(opp.c.last_contact_at < latest).values(last_contact_at=latest))
    project = db.session.query(Project).filter(Project.code == "GZ-YJ").one_or_none()
    if project is not None and db.session.query(CrmPoolSetting.id).filter_by(project_id=project.id).first() is None:
        db.session.execute(CrmPoolSetting.__table__.insert().values(
            project_id=project.id, enabled=True, return_days=pool_service.DEFAULT_RETURN_DAYS,
            daily_claim_limit=pool_service.DEFAULT_DAILY_CLAIM_LIMIT,
            reclaim_wait_days=pool_service.DEFAULT_RECLAIM_WAIT_DAYS))
    db.session.flush()
