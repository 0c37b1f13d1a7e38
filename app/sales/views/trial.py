"""The price trial page (价格试算): a room, up to three payment plans side by side, the full monthly
schedule of one of them on request, and the simulated payment plan printed as PDF. Reached from the
room's page, a plan's page, the project's page and the Sales menu. Read-only: GET only."""
import datetime as dt

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock, display
from app.core.errors import BusinessError
from app.extensions import db
from app.inventory.models import Project, Room
from app.sales.models import PaymentPlan
from app.sales.services import discount_authority, discounts
from app.sales.services import plans as plan_rules
from app.sales.services import trial as trials
from app.sales.services import trial_print

PERMISSION = "can_trial"
MAX_ID = 2 ** 31 - 1


def _id(value):
    value = (value or "").strip()
    return int(value) if value.isdigit() and int(value) <= MAX_ID else None


def _date(name, errors):
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.append(_("Enter dates as 2026-11-26, not “%(value)s”.", value=raw[:30]))
        return None


class Inputs:
    """What the page was asked: the room, the plans, the dates and the buyer's case."""

    def __init__(self):
        self.errors = []
        args = request.args
        self.room_id = _id(args.get("room"))
        self.project_id = _id(args.get("project"))
        self.code = (args.get("code") or "").strip()[:80]
        self.plan_ids = [i for i in (_id(v) for v in args.getlist("plan")) if i is not None]
        self.plan_ids = list(dict.fromkeys(self.plan_ids))
        self.asked_plans = bool(args.getlist("plan"))
        self.date = _date("date", self.errors) or clock.local_today()
        self.subscription = _date("subscription", self.errors)
        self.signing = _date("signing", self.errors)
        self.first_home = args.get("first_home", "1") != "0"
        self.customer = (args.get("customer") or "").strip()[:50]
        self.schedule = _id(args.get("schedule"))
        self.discount_ids = list(dict.fromkeys(i for i in (_id(v) for v in args.getlist("discount")) if i))
        self.customer_id = _id(args.get("customer_id"))

    def query(self, **changes):
        values = {"room": self.room_id, "plan": self.plan_ids, "date": self.date.isoformat(),
                  "first_home": "1" if self.first_home else "0",
                  "subscription": self.subscription.isoformat() if self.subscription else None,
                  "signing": self.signing.isoformat() if self.signing else None, "customer": self.customer or None,
                  "discount": self.discount_ids, "customer_id": self.customer_id}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "", [])}


def _room(inputs):
    if inputs.room_id is not None:
        room = db.session.get(Room, inputs.room_id)
        if room is None:
            inputs.errors.append(_("There is no room %(id)s.", id=inputs.room_id))
        return room
    if inputs.project_id is not None and inputs.code:
        room = db.session.query(Room).filter(Room.project_id == inputs.project_id, Room.code == inputs.code).first()
        if room is None:
            inputs.errors.append(_("The project has no room “%(code)s”.", code=inputs.code))
        return room
    return None


def _options(inputs, room, available):
    """The plans compared: those asked for (at most three), else the first three available."""
    if inputs.asked_plans:
        chosen = db.session.query(PaymentPlan).filter(PaymentPlan.id.in_(inputs.plan_ids)).all() \
            if inputs.plan_ids else []
        by_id = {p.id: p for p in chosen}
        chosen = [by_id[i] for i in inputs.plan_ids if i in by_id]
        if len(chosen) < len(request.args.getlist("plan")):
            inputs.errors.append(_("Some of the chosen payment plans no longer exist."))
    else:
        chosen = available[:trials.MAX_COMPARED]
    if len(chosen) > trials.MAX_COMPARED:
        inputs.errors.append(_("Compare at most %(max)d payment plans; the first %(max)d are shown.",
                               max=trials.MAX_COMPARED))
        chosen = chosen[:trials.MAX_COMPARED]
    inputs.plan_ids = [p.id for p in chosen]
    if not chosen:
        return []
    policies, customer = _discounts(inputs)
    return trials.compare(room, chosen, inputs.date, inputs.first_home, inputs.subscription, inputs.signing,
                          policies, customer)


def _discounts(inputs):
    """The ticked discount policies and the customer (私客保护: another salesperson's customer is
    refused); BusinessError with the reason."""
    try:
        return trials.load_discounts(inputs.discount_ids, inputs.customer_id)
    except (LookupError, PermissionError) as e:
        raise BusinessError(str(e))


class PriceTrialView(BaseView):
    route_base = "/sales/trial"
    default_view = "index"
    base_permissions = [PERMISSION]
    method_permission_name = {"index": "trial", "print_plan": "trial", "discount_request": "trial"}

    @expose("/")
    @has_access
    def index(self):
        inputs = Inputs()
        room = _room(inputs)
        projects = db.session.query(Project).filter(Project.active.is_(True)).order_by(Project.code).all()
        available, options, schedule = [], [], None
        if room is not None:
            inputs.room_id = room.id
            available = plan_rules.plans_for(room.project_id, inputs.date)
            try:
                options = _options(inputs, room, available)
            except BusinessError as e:
                inputs.errors.append(str(e))
            shown = next((o for o in options if o.trial is not None and o.plan.id == inputs.schedule), None)
            schedule = shown.trial if shown is not None else None
            # A chosen plan no longer offered (expired, disabled) still shows, with its reason.
            for option in options:
                if option.plan not in available:
                    available.append(option.plan)
        elif inputs.project_id is None and inputs.room_id is None and not inputs.code:
            inputs.project_id = next((p.id for p in projects), None)
        offered, verdicts = [], {}
        if room is not None:
            offered = discounts.offered(room, inputs.date)
            ticked = [p for p in _safe_load(inputs.discount_ids) if p not in offered]
            offered += ticked  # a ticked policy no longer valid still shows (its option says why)
            user = g.user
            for option in options:
                if option.trial is not None:
                    verdicts[option.plan.id] = discount_authority.check(user, option.trial)
        return self.render_template(
            "sales/trial.html", inputs=inputs, room=room, projects=projects, available=available, options=options,
            offered=offered, verdicts=verdicts, discount_terms=discounts.terms,
            category_label=discounts.category_label,
            schedule=schedule, money=display.money, area=display.area, kind_label=plan_rules.kind_label,
            max_compared=trials.MAX_COMPARED,
            may_print=self.appbuilder.sm.has_access("can_print", "PrintTemplateView"))

    @expose("/print/")
    @has_access
    def print_plan(self):
        """The comparison as the simulated payment plan (模拟付款计划表), PDF."""
        from app.printing.views import pdf_response, printed_by
        inputs = Inputs()
        room = _room(inputs)
        back = url_for("PriceTrialView.index", **inputs.query())
        if room is None or inputs.errors:
            for error in inputs.errors or [_("Choose a room first.")]:
                flash(error, "danger")
            return redirect(back)
        if not self.appbuilder.sm.has_access("can_print", "PrintTemplateView"):
            flash(_("You may not print documents."), "danger")
            return redirect(back)
        try:
            options = _options(inputs, room, plan_rules.plans_for(room.project_id, inputs.date))
            if not options:
                raise BusinessError(_("Choose at least one payment plan."))
            data = trial_print.context(room, options, inputs.date, inputs.first_home, inputs.customer, printed_by())
            pdf = trial_print.render(data, request.args.get("template", type=int), printed_by=printed_by())
        except BusinessError as e:
            flash(str(e), "danger")
            return redirect(back)
        except LookupError:
            flash(_("That print template does not exist."), "danger")
            return redirect(back)
        return pdf_response(pdf, "payment-trial-%s.pdf" % room.id)


    @expose("/discount-request/", methods=["POST"])
    @has_access
    def discount_request(self):
        """Submit one option of the trial, beyond the user's authority, for approval."""
        form = request.form
        room = db.session.get(Room, _id(form.get("room")) or 0)
        plan = db.session.get(PaymentPlan, _id(form.get("plan")) or 0)
        ids = [i for i in (_id(v) for v in form.getlist("discount")) if i]
        back = url_for("PriceTrialView.index", room=room.id if room else None, plan=plan.id if plan else None,
                       discount=ids, customer_id=_id(form.get("customer_id")), date=form.get("date"),
                       first_home=form.get("first_home", "1"))
        if room is None or plan is None:
            flash(_("Choose a room and a payment plan first."), "danger")
            return redirect(url_for("PriceTrialView.index"))
        try:
            date = dt.date.fromisoformat((form.get("date") or "").strip())
        except ValueError:
            flash(_("Enter dates as 2026-11-26, not “%(value)s”.", value=(form.get("date") or "")[:30]), "danger")
            return redirect(back)
        try:
            policies, customer = trials.load_discounts(ids, _id(form.get("customer_id")))
            req = discount_authority.submit(g.user, room, plan, policies, customer, date,
                                            form.get("first_home", "1") != "0", form.get("reason"))
        except (BusinessError, LookupError, PermissionError) as e:
            flash(str(e), "danger")
            return redirect(back)
        flash(_("The discount was sent to the sales managers for approval (request #%(id)d).", id=req.id), "success")
        return redirect(url_for("ApprovalView.show", pk=req.id))


def _safe_load(ids):
    try:
        return discounts.load(ids)
    except LookupError:
        return []


def room_links(view, pk):
    """The "Price trial" button of a room's page."""
    if view.appbuilder.sm.has_access(PERMISSION, "PriceTrialView"):
        return [(_l("Price trial"), url_for("PriceTrialView.index", room=pk), "fa-calculator")]
    return []


def room_row_links(view, pks):
    """The "Price trial" button on each row of the room list."""
    if not view.appbuilder.sm.has_access(PERMISSION, "PriceTrialView"):
        return None
    label = _("Price trial")
    return lambda pk: [(label, url_for("PriceTrialView.index", room=pk), "fa-calculator", "loupan-trial")]


def project_links(view, pk):
    """Buttons of a project's page: its payment plans, and the price trial."""
    sm = view.appbuilder.sm
    links = []
    if sm.has_access("can_list", "PaymentPlanView"):
        links.append((_l("Payment plans"), url_for("PaymentPlanView.list", _flt_0_project=pk), "fa-money-check"))
    if sm.has_access(PERMISSION, "PriceTrialView"):
        links.append((_l("Price trial"), url_for("PriceTrialView.index", project=pk), "fa-calculator"))
    return links
