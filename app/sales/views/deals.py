"""The deal pages (交易): the forms of each step (hold, booking, subscription from the room card;
signing, online filing and release of a deal), the deal page with its timeline and prints, and
the deals list. Thin: every rule is in app/sales/services/deals.py; a refusal is shown on the same
form with the user's input kept, and nothing changes."""
import datetime as dt

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock, display
from app.core.errors import BusinessError
from app.core.models.base import utcnow
from app.core.personal_data import shown
from app.core.services import custom_fields as cf
from app.core.services.lookup import active_values
from app.core.views.base import record_ids
from app.crm.models import Customer
from app.crm.services import customers as customer_service
from app.crm.services import scope
from app.extensions import db
from app.sales.models import DealBuyer, PaymentPlan
from app.sales.services import deal_list, deal_print, deals, discount_authority
from app.sales.services import discounts as discount_rules
from app.sales.services import plans as plan_rules
from app.sales.views import deal_urls

MENU = "Deals"
VIEW = "DealView"
NEW_ACTIONS = ("hold", "book", "subscribe")
CANDIDATES = 50


def _one_id(value):
    ids = record_ids([value if isinstance(value, str) else ""])
    return ids[0] if ids and ids[0] > 0 else None


def _visible(owner_id):
    """May the user see records of this owner (in memory, after one query per request)?"""
    ids = scope.visible_owner_ids()
    return ids is None or owner_id in ids


def _customer_row(c):
    return {"id": c.id, "name": c.name, "phone": shown(c.phone)}


def search_customers(q, limit=20):
    """The user's visible customers whose name contains q, or whose phone is q."""
    q = (q or "").strip()[:50]
    if not q:
        return []
    found = []
    digits = q.replace(" ", "").replace("-", "")
    if digits.isdigit() and len(digits) >= 7:
        c = customer_service.find_by_phone(digits)
        if c is not None and _visible(c.owner_id):
            found.append(c)
    like = "%" + q.replace("%", "").replace("_", "") + "%"
    rows = (customer_service.visible_customers().filter(Customer.name.like(like)).order_by(Customer.name, Customer.id)
            .limit(limit).all())
    found += [c for c in rows if c not in found]
    return found[:limit]


def _candidates(chosen_ids, q=""):
    """Customers to offer in the buyer selects: those already chosen, the search's, the user's latest."""
    chosen_ids = [i for i in chosen_ids if i]
    rows = []
    if chosen_ids:
        by_id = {c.id: c for c in customer_service.visible_customers().filter(Customer.id.in_(chosen_ids))}
        rows = [by_id[i] for i in dict.fromkeys(chosen_ids) if i in by_id]
    if q:
        rows += [c for c in search_customers(q) if c not in rows]
    else:
        rows += [c for c in customer_service.visible_customers().order_by(Customer.id.desc()).limit(CANDIDATES)
                 if c not in rows]
    return rows


def _date_value(raw, message):
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BusinessError(message)


def _custom_inputs(defs, values):
    """The custom fields of a deal as the form shows them (by hand, like CustomFieldsMixin does)."""
    out = []
    for d in defs:
        item = {"name": d.name, "label": d.label, "type": d.field_type, "required": d.required,
                "value": values.get("cf_" + d.name, ""), "choices": []}
        if d.field_type == "choice":
            item["choices"] = [(str(v.id), v.name) for v in active_values(d.lookup_list_code)]
        out.append(item)
    return out


def deal_or_leave(pk):
    """(deal, None) or (None, response): unknown → 404, another salesperson's → refusal (logged),
    back to the deal list (every page about one deal answers so)."""
    try:
        return deals.get_deal(pk), None
    except deals.NotFound:
        abort(404)
    except deals.OutOfScope as e:
        flash(str(e), "danger")
        return None, redirect(url_for("DealView.list"))


class DealView(BaseView):
    """交易: the list, one deal, and the forms of its steps."""
    route_base = "/sales/deals"
    default_view = "list"
    base_permissions = ["can_list", "can_show", "can_act"]
    method_permission_name = {"list": "list", "export": "list", "show": "show", "print_deal": "show",
                              "new": "act", "sign": "act", "file": "act", "release": "act", "customers": "act"}
    # Other modules add buttons to the deal page: provide(deal) -> [(label, url, icon)], permission-checked.
    link_providers = ()

    @classmethod
    def add_link_provider(cls, provide):
        if provide not in cls.link_providers:
            cls.link_providers = cls.link_providers + (provide,)

    # ------------------------------------------------------------ list

    @expose("/")
    @has_access
    def list(self):
        filters = deal_list.Filters(request.args)
        rows, total, pages = deal_list.page(filters)
        today = clock.local_today()
        from app.inventory.models import Project
        projects = db.session.query(Project).order_by(Project.code).all()
        return self.render_template(
            "sales/deal_list.html", filters=filters, rows=rows, total=total, pages=pages, today=today,
            overdue={d.id for d in rows if deal_list.is_overdue(d, today)}, projects=projects,
            salespeople=deal_list.salespeople(), stages=deals.STAGE_LABELS, states=deals.STATE_LABELS,
            stage_label=deals.stage_label, state_label=deals.state_label, money=display.money,
            page_url=lambda n: url_for("DealView.list", **filters.args(page=n or None)),
            export_url=url_for("DealView.export", **filters.args(page=None)))

    @expose("/export")
    @has_access
    def export(self):
        from flask import send_file
        import io
        filters = deal_list.Filters(request.args)
        data = deal_list.export(filters)
        return send_file(io.BytesIO(data), download_name="deals-%s.xlsx" % clock.local_today().isoformat(),
                         as_attachment=True,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    # ------------------------------------------------------------ customer search (autocomplete)

    @expose("/customers")
    @has_access
    def customers(self):
        return jsonify({"result": [_customer_row(c) for c in search_customers(request.args.get("q"))]})

    # ------------------------------------------------------------ one deal

    def _deal_or_leave(self, pk):
        return deal_or_leave(pk)

    @expose("/<pk>")
    @has_access
    def show(self, pk):
        deal, leave = self._deal_or_leave(pk)
        if leave is not None:
            return leave
        from sqlalchemy.orm import joinedload
        buyers = (db.session.query(DealBuyer).options(joinedload(DealBuyer.customer))
                  .filter(DealBuyer.deal_id == deal.id).order_by(DealBuyer.position).all())
        payments = list(deal.payments)
        defs = cf.definitions("deal")
        custom = list(zip(defs, cf.display_values(defs, [deal])[0].values())) if defs else []
        today = clock.local_today()
        sm = self.appbuilder.sm
        prints = []
        if sm.has_access("can_print", "PrintTemplateView") and deal.state != "released":
            if deal.stage in deal_print.STAGES[deal_print.LETTER]:
                prints.append((_("Print the subscription letter"),
                               url_for("DealView.print_deal", pk=deal.id, kind=deal_print.LETTER)))
            if deal.stage in deal_print.STAGES[deal_print.SUMMARY]:
                prints.append((_("Print the contract summary"),
                               url_for("DealView.print_deal", pk=deal.id, kind=deal_print.SUMMARY)))
        actions = deal_urls.actions_for(deal.room, deal) if deal.state == "active" else []
        actions = [a for a in actions if a[0] not in NEW_ACTIONS or deal.stage in ("held", "booked")]
        from app.sales.services import deal_changes
        pending = deal_changes.pending_request(deal.id) if deal.state == "active" else None
        if pending is not None:
            actions = [a for a in actions if a[0] not in ("rename", "change_room", "cancel")]
        return self.render_template(
            "sales/deal_show.html", deal=deal, buyers=buyers, pending=deal_changes.pending_label(pending),
            price_payments=[p for p in payments if not p.collected_for_others],
            fees=[p for p in payments if p.collected_for_others], custom=custom, events=deals.timeline(deal),
            actions=actions, prints=prints, visible=_visible,
            links=[link for provide in self.link_providers for link in provide(deal)], stage_label=deals.stage_label,
            state_label=deals.state_label, action_label=deals.action_label, money=display.money,
            area=display.area, sign_overdue=deals.sign_overdue(deal, today),
            filing_overdue=deals.filing_overdue(deal, today), hold_over=deal.hold_until is not None
            and deal.stage == "held" and deal.hold_until < utcnow(),
            booking_over=deal.stage == "booked" and deal.booking_until is not None and deal.booking_until < today,
            may_360=sm.has_access("can_show", "Customer360View"),
            discount_request=deal.discount_request_id)

    @expose("/<pk>/print/<kind>")
    @has_access
    def print_deal(self, pk, kind):
        from app.printing.views import pdf_response, printed_by
        deal, leave = self._deal_or_leave(pk)
        if leave is not None:
            return leave
        if kind not in deal_print.KINDS:
            abort(404)
        back = url_for("DealView.show", pk=deal.id)
        if not self.appbuilder.sm.has_access("can_print", "PrintTemplateView"):
            flash(_("You may not print documents."), "danger")
            return redirect(back)
        try:
            pdf = deal_print.render(kind, deal, request.args.get("template", type=int), printed_by=printed_by())
            deals.event(deal, "print", g.user, str(_("Subscription letter") if kind == deal_print.LETTER
                                                   else _("Contract summary")), {"kind": kind})
            db.session.commit()
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return redirect(back)
        except LookupError:
            db.session.rollback()
            flash(_("That print template does not exist."), "danger")
            return redirect(back)
        number = deal.contract_no if kind == deal_print.SUMMARY else deal.subscription_no
        return pdf_response(pdf, "%s-%s.pdf" % (kind, number or deal.id))

    # ------------------------------------------------------------ new deal: hold, book, subscribe

    @expose("/new/<action>", methods=["GET", "POST"])
    @has_access
    def new(self, action):
        if action not in NEW_ACTIONS:
            abort(404)
        source = request.form if request.method == "POST" else request.args
        try:
            room = deals.get_room(source.get("room"))
        except deals.NotFound as e:
            flash(str(e), "danger")
            return redirect(url_for("DealView.list"))
        existing = deals.active_deal(room.id)
        own = existing if existing is not None and existing.stage in ("held", "booked") \
            and _visible(existing.employee_id) else None
        values = {k: v for k, v in source.items()}
        values["buyers"] = [_one_id(v) for v in source.getlist("buyer")]
        values["shares"] = list(source.getlist("share"))
        values["discounts"] = [i for i in (_one_id(v) for v in source.getlist("discount")) if i]
        errors, approved = [], None
        request_id = _one_id(source.get("discount_request"))
        if action == "subscribe" and request_id:
            approved = discount_authority.approved_discount(request_id)
            if approved is None or approved["room_id"] != room.id:
                errors.append(_("Discount request %(id)s is not an approved discount for this room.", id=request_id))
                approved, request_id = None, None
            elif request.method == "GET":
                values.setdefault("plan", str(approved["plan_id"]))
                values["discounts"] = list(approved["policy_ids"])
                if approved["customer_id"] and not values["buyers"]:
                    values["buyers"] = [approved["customer_id"]]
                    values.setdefault("customer", str(approved["customer_id"]))
                values.setdefault("date", clock.local_today().isoformat())
                values["first_home"] = "1" if approved["first_home"] else "0"
        fixed = own.customer if own is not None else None
        if fixed is not None:
            values["customer"] = str(fixed.id)
            if not values["buyers"] or values["buyers"][0] is None:
                values["buyers"] = [fixed.id] + values["buyers"][1:]
        elif not values["buyers"] and _one_id(values.get("customer")):
            values["buyers"] = [_one_id(values.get("customer"))]
        if request.method == "POST" and values.get("do") in ("submit", "ask"):
            try:
                if values["do"] == "ask" and action == "subscribe":
                    return self._ask(room, values)
                deal = self._make(action, room, values, request_id)
            except BusinessError as e:
                db.session.rollback()
                errors.append(str(e))
                return self._new_form(action, room, own, values, errors, approved, request_id, 409
                                      if isinstance(e, deals.Taken) else 422)
            flash(self._done_message(action, deal), "success")
            return redirect(url_for("DealView.show", pk=deal.id))
        return self._new_form(action, room, own, values, errors, approved, request_id)

    def _done_message(self, action, deal):
        if action == "hold":
            return _("Room %(room)s is held for %(customer)s until %(until)s.", room=deal.room.code,
                     customer=deal.customer.name, until=display.local_time(deal.hold_until))
        if action == "book":
            return _("Room %(room)s is booked for %(customer)s until %(until)s.", room=deal.room.code,
                     customer=deal.customer.name, until=deal.booking_until.isoformat())
        return _("Room %(room)s is subscribed: %(number)s, ¥%(total)s.", room=deal.room.code,
                 number=deal.subscription_no, total="{:,.2f}".format(deal.total))

    def _customer_value(self, values):
        value = values.get("customer") or ""
        if not _one_id(value):
            raise BusinessError(_("Choose the customer."))
        return _one_id(value)

    def _make(self, action, room, values, request_id):
        user = scope.acting_user()
        note = (values.get("note") or "").strip()[:500] or None
        if action == "hold":
            hours = (values.get("hours") or "").strip()
            if hours and not hours.isdigit():
                raise BusinessError(_("The hold lasts a whole number of hours."))
            return deals.hold(room, self._customer_value(values), user=user, hours=hours or None, note=note)
        if action == "book":
            days = (values.get("days") or "").strip()
            if days and not days.isdigit():
                raise BusinessError(_("The booking lasts a whole number of days."))
            return deals.book(room, self._customer_value(values), values.get("amount") or "", user=user,
                              days=days or None, note=note)
        plan, policies, _customer, on, sign_by, first_home = self._terms(room, values)
        custom = self._custom(values)
        return deals.subscribe(room, self._buyers(values), plan, policies, user=user, on=on, first_home=first_home,
                               sign_by=sign_by, discount_request_id=request_id, custom=custom, note=note)

    def _buyers(self, values):
        rows = []
        shares = values["shares"]
        for n, customer_id in enumerate(values["buyers"][:deals.MAX_BUYERS + 1]):
            share = shares[n] if n < len(shares) else ""
            if customer_id is None:
                if (share or "").strip():
                    raise BusinessError(_("Choose the buyer of each share entered."))
                continue
            rows.append((customer_id, (share or "").strip() or None))
        if len([v for v in values["buyers"] if v]) > deals.MAX_BUYERS:
            raise BusinessError(_("A deal has at most %(n)d buyers.", n=deals.MAX_BUYERS))
        return rows

    def _custom(self, values):
        defs = cf.definitions("deal")
        if not defs:
            return None
        return {d.name: (values.get("cf_" + d.name) or "") for d in defs}

    def _terms(self, room, values):
        """(plan, policies, first customer, date, sign_by, first_home) from the subscription form."""
        plan_id = _one_id(values.get("plan"))
        plan = db.session.get(PaymentPlan, plan_id) if plan_id else None
        if plan is None:
            raise BusinessError(_("Choose the payment plan."))
        try:
            policies = discount_rules.load(values["discounts"])
        except LookupError as e:
            raise BusinessError(str(e))
        buyers = [b for b in values["buyers"] if b]
        customer = None
        if buyers:
            customer = customer_service.get_visible(buyers[0])
        on = _date_value(values.get("date"), _("Enter the subscription date as YYYY-MM-DD.")) or clock.local_today()
        sign_by = _date_value(values.get("sign_by"), _("Enter the signing deadline as YYYY-MM-DD."))
        first_home = values.get("first_home", "1") != "0"
        return plan, policies, customer, on, sign_by, first_home

    def _ask(self, room, values):
        plan, policies, customer, on, _sign_by, first_home = self._terms(room, values)
        if customer is None:
            raise BusinessError(_("Choose the buyer."))
        req = discount_authority.submit(g.user, room, plan, policies, customer, on, first_home,
                                        (values.get("reason") or "").strip()[:500] or None)
        flash(_("The discount was sent to the sales managers for approval (request #%(id)d). Once approved, the "
                "request's page links back to this form.", id=req.id), "success")
        return redirect(url_for("ApprovalView.show", pk=req.id))

    def _new_form(self, action, room, own, values, errors, approved, request_id, status=200):
        taken = None
        if room.status != "available" and own is None:
            taken = deals.taken_message(room.id)
        elif own is not None and action == "hold":
            taken = _("Room %(room)s is already held for %(customer)s.", room=room.code, customer=own.customer.name)
        if taken in errors:
            taken = None
        q = (values.get("q") or "").strip()[:50]
        chosen = list(values["buyers"]) + [_one_id(values.get("customer"))]
        candidates = _candidates(chosen, q)
        context = {}
        if action == "subscribe":
            context = self._subscribe_context(room, values, errors, approved)
        return self.render_template(
            "sales/deal_new.html", action=action, title=deal_urls.ACTION_LABELS[action], room=room, own=own,
            values=values, errors=errors, taken=taken, candidates=candidates, q=q, request_id=request_id,
            approved=approved, money=display.money, area=display.area, max_buyers=deals.MAX_BUYERS,
            fixed=own.customer if own is not None else None, stage_label=deals.stage_label,
            search_url=url_for("DealView.customers"), phone_of=lambda c: shown(c.phone), **context), status

    def _subscribe_context(self, room, values, errors, approved):
        today = clock.local_today()
        try:
            on = _date_value(values.get("date"), _("Enter the subscription date as YYYY-MM-DD.")) or today
        except BusinessError as e:
            errors.append(str(e))
            on = today
        plans = plan_rules.plans_for(room.project_id, on)
        if not values.get("plan") and plans:
            values["plan"] = str(plans[0].id)
        offered = discount_rules.offered(room, on)
        trial, verdict, trial_error = None, None, None
        try:
            plan, policies, customer, on, sign_by, first_home = self._terms(room, values)
            for p in policies:
                if p not in offered:
                    offered.append(p)
            trial = deals.price(room, plan, policies, customer, on, first_home, sign_by)
            verdict = discount_authority.check(g.user, trial)
            if not values.get("sign_by"):
                values["sign_by"] = trial.signing_date.isoformat()
        except BusinessError as e:
            trial_error = str(e)
        if approved is not None and trial is not None and verdict is not None and not verdict.within:
            if approved["total"] == trial.total:
                verdict = None  # covered by the approved request
        defs = cf.definitions("deal")
        return {"plans": plans, "offered": offered, "trial": trial, "verdict": verdict, "trial_error": trial_error,
                "discount_terms": discount_rules.terms, "kind_label": plan_rules.kind_label,
                "custom_fields": _custom_inputs(defs, values),
                "shares": values["shares"] or ["100"], "today": today}

    # ------------------------------------------------------------ steps on a deal

    def _step(self, pk, action, template, run, ok_message):
        deal, leave = self._deal_or_leave(pk)
        if leave is not None:
            return leave
        values = dict(request.form) if request.method == "POST" else {}
        errors = []
        if request.method == "POST":
            try:
                run(deal, values)
            except BusinessError as e:
                db.session.rollback()
                errors.append(str(e))
                deal = deals.get_deal(pk)
                return self._step_form(deal, action, template, values, errors), \
                    409 if isinstance(e, deals.Taken) else 422
            flash(ok_message(deal), "success")
            return redirect(url_for("DealView.show", pk=deal.id))
        return self._step_form(deal, action, template, values, errors)

    def _step_form(self, deal, action, template, values, errors):
        from app.core.services import numbering
        next_contract = None
        if action == "sign":
            last = numbering.peek("deal_ht", deal.project_id)
            next_contract = "%s-HT-%05d" % (deal.project.code, last + 1)
        return self.render_template(template, deal=deal, action=action, title=deal_urls.ACTION_LABELS[action],
                                    values=values, errors=errors, next_contract=next_contract, money=display.money,
                                    area=display.area, stage_label=deals.stage_label, today=clock.local_today())

    @expose("/<pk>/sign", methods=["GET", "POST"])
    @has_access
    def sign(self, pk):
        def run(deal, v):
            return deals.sign(deal, user=scope.acting_user(),
                              signed_on=_date_value(v.get("signed_on"), _("Enter the signing date as YYYY-MM-DD.")),
                              filing_no=v.get("filing_no"),
                              filed_on=_date_value(v.get("filed_on"), _("Enter the filing date as YYYY-MM-DD.")),
                              note=(v.get("note") or "").strip()[:500] or None)
        return self._step(pk, "sign", "sales/deal_step.html", run,
                          lambda d: _("Contract %(number)s signed for room %(room)s.", number=d.contract_no,
                                      room=d.room.code))

    @expose("/<pk>/file", methods=["GET", "POST"])
    @has_access
    def file(self, pk):
        def run(deal, v):
            return deals.record_filing(deal, v.get("filing_no"),
                                       _date_value(v.get("filed_on"), _("Enter the filing date as YYYY-MM-DD.")),
                                       user=scope.acting_user())
        return self._step(pk, "file", "sales/deal_step.html", run,
                          lambda d: _("Online filing %(number)s recorded.", number=d.filing_no))

    @expose("/<pk>/release", methods=["GET", "POST"])
    @has_access
    def release(self, pk):
        def run(deal, v):
            if v.get("confirm") != "1":
                raise BusinessError(_("Tick the box to confirm that the room is to be released."))
            return deals.release(deal, user=scope.acting_user(), note=(v.get("note") or "").strip()[:500] or None)
        return self._step(pk, "release", "sales/deal_step.html", run,
                          lambda d: _("Room %(room)s was released and is available again.", room=d.room.code))


def init_app(app, appbuilder, first):
    from app.core import roles
    from app.sales import SALES
    deal_print.register()
    appbuilder.add_view(DealView, MENU, label=_l("Deals"), icon="fa-file-signature", category=SALES)
    deal = {VIEW: ("can_list", "can_show", "can_act")}
    roles.extend(permissions={roles.SALES: deal, roles.MANAGER: deal, roles.FINANCE: {VIEW: roles.READ}},
                 menus={roles.SALES: [MENU], roles.MANAGER: [MENU], roles.FINANCE: [SALES, MENU]})
