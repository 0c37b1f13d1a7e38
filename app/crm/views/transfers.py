"""Transfers (客户转交): the page where a supervisor picks customers (filtered by owner or name),
the salesperson who takes them over and the reason; and the history of every transfer."""
import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.core import personal_data
from app.core.display import person_name
from app.core.errors import BusinessError
from app.core.views.base import LoupanModelView, record_ids
from app.crm.models import Customer, CustomerTransfer, Opportunity
from app.crm.services import customers as customer_service
from app.crm.services import scope
from app.crm.services import transfers as transfer_service
from app.extensions import db

TRANSFER = "Transfer customers"
HISTORY = "Transfer history"
PAGE_SIZE = 50
FILTERS = ("owner", "q")


class TransferScopeFilter(BaseFilter):
    """Transfers to or from someone the user may see (a salesperson: their own)."""

    name = "scope"
    arg_name = None

    def apply(self, query, value):
        condition = transfer_service.history_condition()
        return query.filter(condition) if condition is not None else query


def _user(user):
    if user is None:
        return ""
    return person_name(user.first_name, user.last_name) or user.username


class CustomerTransferView(LoupanModelView):
    datamodel = SQLAInterface(CustomerTransfer)
    list_title = _l("Transfer history")
    show_title = _l("Transfer")
    base_permissions = ["can_list", "can_show", "can_transfer"]
    base_filters = [["id", TransferScopeFilter, None]]
    list_columns = ["at", "customer", "from_employee", "to_employee", "reason", "opportunities_moved", "by_user"]
    show_columns = ["at", "customer", "from_employee", "to_employee", "reason", "opportunities_moved", "by_user",
                    "batch"]
    search_columns = ["at", "from_employee", "to_employee", "reason", "batch"]
    base_order = ("at", "desc")
    label_columns = {"at": _l("Transferred at"), "customer": _l("Customer"), "from_employee": _l("From"),
                     "to_employee": _l("To"), "reason": _l("Reason"), "opportunities_moved": _l("Opportunities moved"),
                     "by_user": _l("Transferred by"), "batch": _l("Transfer batch")}
    formatters_columns = {"by_user": _user}

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        pks = record_ids([str(pk)])
        row = db.session.get(CustomerTransfer, pks[0]) if pks else None
        condition = transfer_service.history_condition()
        if row is not None and condition is not None and \
                db.session.query(CustomerTransfer.id).filter(CustomerTransfer.id == row.id, condition).first() is None:
            scope.log_refusal("customer_transfer", row.id)
            flash(_("This transfer is of another salesperson's customers; you may not open it."), "danger")
            return redirect(url_for("CustomerTransferView.list"))
        return super().show(pk)

    def list_links(self):
        if self.appbuilder.sm.has_access("can_transfer", self.class_permission_name):
            return [(_l("Transfer customers"), url_for("CustomerTransferView.transfer"), "fa-exchange-alt")]
        return []

    # ---------------------------------------------------------------- the transfer page

    def _customers(self, args, named=None):
        """The customers the page lists: those named (?customer=…) or those of the filters."""
        query = customer_service.visible_customers()
        named = record_ids(args.getlist("customer")) if named is None else named
        if named:
            return query.filter(Customer.id.in_(named[:transfer_service.MAX_CUSTOMERS]))
        owner = record_ids([args.get("owner", "")])
        if owner:
            query = query.filter(Customer.owner_id == owner[0])
        name = (args.get("q") or "").strip()
        if name:
            query = query.filter(Customer.name.contains(name, autoescape=True))
        return query

    def _render(self, args, selected=(), values=None, status=200, named=None):
        named = record_ids(args.getlist("customer")) if named is None else named
        query = self._customers(args, named)
        total = query.order_by(None).count()
        pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
        page = record_ids([args.get("page", "0")])
        page = min(page[0], pages - 1) if page else 0
        # The page's ids first, then those customers with what the page shows (no joins over all).
        ids = [pk for (pk,) in query.with_entities(Customer.id).order_by(Customer.name, Customer.id)
               .offset(page * PAGE_SIZE).limit(PAGE_SIZE)]
        found = {c.id: c for c in db.session.query(Customer).filter(Customer.id.in_(ids))} if ids else {}
        rows = [found[pk] for pk in ids if pk in found]
        opportunities = dict(db.session.query(Opportunity.customer_id, sa.func.count(Opportunity.id))
                             .join(Customer, Customer.id == Opportunity.customer_id)
                             .filter(Opportunity.customer_id.in_(ids), Opportunity.owner_id == Customer.owner_id,
                                     Opportunity.pooled_at.is_(None))
                             .group_by(Opportunity.customer_id).all()) if ids else {}
        filters = {k: args.get(k, "") for k in FILTERS}
        return self.render_template(
            "crm/transfer.html", rows=rows, total=total, page=page, pages=pages, filters=filters, named=named,
            selected=set(selected) | set(named), opportunities=opportunities,
            owners=transfer_service.owners_in_scope(), targets=transfer_service.targets(),
            values=values or {"to_employee": "", "reason": ""}, shown=personal_data.shown,
            max_customers=transfer_service.MAX_CUSTOMERS,
            page_url=lambda n: url_for("CustomerTransferView.transfer", page=n, customer=named,
                                       **{k: v for k, v in filters.items() if v}),
        ), status

    @expose("/transfer/", methods=["GET", "POST"])
    @has_access
    def transfer(self):
        if not transfer_service.may_transfer():
            flash(_("Only a sales manager or an administrator can transfer customers."), "danger")
            return redirect(url_for("CustomerTransferView.list"))
        if request.method == "GET":
            return self._render(request.args)
        form = request.form
        values = {"to_employee": form.get("to_employee", ""), "reason": form.get("reason", "")}
        if form.get("all_matching") == "1":
            limit = transfer_service.MAX_CUSTOMERS + 1
            ids = [pk for (pk,) in self._customers(form).with_entities(Customer.id).order_by(Customer.id).limit(limit)]
        else:
            ids = record_ids(form.getlist("rowid"))
        try:
            result = transfer_service.transfer(ids, values["to_employee"], values["reason"])
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            # The page lists what was ticked (it may have spanned pages), still ticked.
            named = None if form.get("all_matching") == "1" else ids[:transfer_service.MAX_CUSTOMERS]
            return self._render(form, selected=ids, values=values, status=422, named=named)
        history = url_for("CustomerTransferView.list", _flt_0_batch=result.batch)
        flash(Markup("%s <a href=\"%s\">%s</a>") % (
            _("%(customers)d customer(s) and %(opportunities)d opportunity(ies) transferred to %(name)s.",
              customers=result.customers, opportunities=result.opportunities, name=result.to_employee.name),
            history, escape(_("See the transfer"))), "success")
        return redirect(url_for("CustomerTransferView.transfer", **{k: form.get(k) for k in FILTERS if form.get(k)}))


def init_app(app, appbuilder, first):
    """first: True the first time in this process (register demo data, home panels once)."""
    from app.core import roles
    from app.crm import CUSTOMERS
    from app.crm.api.transfers import TransferApi
    from app.crm.services import timeline

    appbuilder.add_view(CustomerTransferView, HISTORY, label=_l("Transfer history"), icon="fa-history",
                        category=CUSTOMERS)
    appbuilder.add_link(TRANSFER, label=_l("Transfer customers"), href="/customertransferview/transfer/",
                        icon="fa-exchange-alt", category=CUSTOMERS)
    appbuilder.add_api(TransferApi)
    roles.extend(
        permissions={roles.SALES: {"CustomerTransferView": ("can_list", "can_show")},
                     roles.MANAGER: {"CustomerTransferView": ("can_list", "can_show", "can_transfer")}},
        menus={roles.SALES: [HISTORY], roles.MANAGER: [TRANSFER, HISTORY]},
    )
    if first:
        timeline.register(transfer_service.timeline_entries)
