"""Text message screens (短信群发): compose (one customer or a filtered list) with a preview before
sending, the send log with its recipients, the templates (supervisors) and the outbox (admins).
Everything stays within the sender's confidentiality scope."""
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import InputRequired

import sqlalchemy as sa

from app.core import personal_data
from app.core.errors import BusinessError
from app.core.services.lookup import active_values
from app.core.views.base import LoupanModelView
from app.crm.models import Customer, Opportunity, SmsMessage, SmsRecipient, SmsTemplate
from app.crm.models.opportunity import STAGES
from app.crm.services import scope
from app.crm.services import sms as sms_service
from app.extensions import db
from app.inventory.models import Project
from app.org.models import Employee

CUSTOMERS = "Customers"
SEND = "Send text messages"
LOG = "Text message log"
TEMPLATES = "Message templates"
OUTBOX = "Text message outbox"
FILTER_FIELDS = ("project_id", "grade_id", "stage", "level_id", "source_id", "owner_id", "not_visited_days")


GATEWAY_LABELS = {"outbox": _l("Outbox"), "http": _l("HTTP gateway")}


def _gateway(value):
    return str(GATEWAY_LABELS.get(value, value or ""))


def _status(value):
    return str(sms_service.STATUS_LABELS.get(value, value or ""))


def _outcome(value):
    skip, error = value or (None, None)
    return str(sms_service.SKIP_LABELS.get(skip, skip)) if skip else (error or "")


class MessageScopeFilter(BaseFilter):
    """The send log a user may see: their own sends, a supervisor the department's, admins all."""

    name = "sms scope"
    arg_name = None

    def apply(self, query, value):
        condition = sms_service.message_condition()
        if condition is None:
            return query
        if self.model is SmsMessage:
            return query.filter(condition)
        return query.filter(self.model.message_id.in_(sa.select(SmsMessage.id).where(condition)))


SCOPED = [["id", MessageScopeFilter, None]]


class _RefuseForeign:
    """Opening another user's message (or one of its recipients) by URL: refused, logged."""

    def _foreign(self, pk):
        model = self.datamodel.obj
        item = db.session.get(model, int(pk))
        if item is None:
            return False
        try:
            sms_service.get_message(item.id if model is SmsMessage else item.message_id)
        except sms_service.OutOfScope as e:
            flash(str(e), "danger")
            return True
        return False

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        if self._foreign(pk):
            return redirect(url_for(self.__class__.__name__ + ".list"))
        return super().show(pk)


class SmsRecipientView(_RefuseForeign, LoupanModelView):
    """The recipients of a message (shown on the message's page): one row each, with what became
    of it."""

    datamodel = SQLAInterface(SmsRecipient)
    list_title = _l("Recipients")
    show_title = _l("Recipient")
    base_permissions = ["can_list", "can_show"]
    base_filters = SCOPED
    list_columns = ["customer", "phone", "status", "outcome", "gateway_ref", "sent_at"]
    show_columns = ["message", "customer", "phone", "text", "status", "outcome", "gateway", "gateway_ref", "sent_at"]
    search_columns = ["status", "sent_at"]
    order_columns = ["status", "gateway_ref", "sent_at"]
    base_order = ("id", "asc")
    label_columns = {"message": _l("Text message"), "customer": _l("Customer"), "phone": _l("Phone"),
                     "text": _l("Message text"),
                     "status": _l("Status"), "outcome": _l("Reason"), "gateway": _l("Gateway"),
                     "gateway_ref": _l("Gateway reference"), "sent_at": _l("Sent at")}
    formatters_columns = {"phone": personal_data.shown, "status": _status, "outcome": _outcome, "gateway": _gateway}


class SmsMessageView(_RefuseForeign, LoupanModelView):
    """The send log: each send with who sent what to whom and how many went out."""

    datamodel = SQLAInterface(SmsMessage)
    list_title = _l("Text message log")
    show_title = _l("Text message")
    base_permissions = ["can_list", "can_show"]
    base_filters = SCOPED
    related_views = [SmsRecipientView]
    list_columns = ["created_at", "sender_name", "template", "filter_description", "recipient_count", "sent_count",
                    "failed_count", "skipped_count", "pending_count"]
    show_columns = ["created_at", "sender_name", "template", "project", "text", "filter_description", "gateway",
                    "recipient_count", "sent_count", "failed_count", "skipped_count", "pending_count", "finished_at"]
    search_columns = ["created_at", "template", "project"]
    order_columns = ["created_at", "filter_description", "recipient_count", "sent_count", "failed_count",
                     "skipped_count"]
    base_order = ("created_at", "desc")
    label_columns = {"created_at": _l("Sent on"), "sender_name": _l("Sender"), "template": _l("Template"),
                     "project": _l("Project"), "text": _l("Message text"),
                     "filter_description": _l("Recipients chosen by"),
                     "gateway": _l("Gateway"), "recipient_count": _l("Recipients"), "sent_count": _l("Sent"),
                     "failed_count": _l("Failed"), "skipped_count": _l("Skipped"), "pending_count": _l("Waiting"),
                     "finished_at": _l("Finished at")}
    formatters_columns = {"gateway": _gateway}

    def detail_links(self, pk):
        links = []
        if self.appbuilder.sm.has_access("can_send", "SmsView"):
            links.append((_l("Send another message"), url_for("SmsView.compose"), "fa-sms"))
        return links


class SmsOutboxView(LoupanModelView):
    """The outbox (the default gateway): every message it took, for an administrator to read."""

    datamodel = SQLAInterface(SmsRecipient)
    list_title = _l("Text message outbox")
    show_title = _l("Message in the outbox")
    base_permissions = ["can_list", "can_show"]
    base_filters = [["gateway", FilterEqual, "outbox"], ["status", FilterEqual, "sent"]]
    list_columns = ["sent_at", "phone", "text", "customer", "sender_name", "gateway_ref"]
    show_columns = ["sent_at", "phone", "text", "customer", "sender_name", "message", "gateway_ref"]
    search_columns = ["sent_at", "text"]
    order_columns = ["sent_at", "text", "gateway_ref"]
    base_order = ("sent_at", "desc")
    label_columns = {"sent_at": _l("Sent at"), "phone": _l("Phone"), "text": _l("Message text"),
                     "customer": _l("Customer"),
                     "sender_name": _l("Sender"), "message": _l("Text message"), "gateway_ref": _l("Reference")}
    formatters_columns = {"phone": personal_data.shown}


class SmsTemplateView(LoupanModelView):
    """Message templates with placeholders (supervisors and admins)."""

    datamodel = SQLAInterface(SmsTemplate)
    list_title = _l("Message templates")
    show_title = _l("Message template")
    add_title = _l("Add message template")
    edit_title = _l("Edit message template")
    show_template = "crm/sms_template_show.html"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    list_columns = ["name", "content", "active", "created_at"]
    show_columns = ["name", "content", "active", "created_at"]
    add_columns = edit_columns = ["name", "content", "active"]
    search_columns = ["name", "content", "active"]
    base_order = ("name", "asc")
    label_columns = {"name": _l("Name"), "content": _l("Message text"), "active": _l("Active"),
                     "created_at": _l("Created on")}

    @staticmethod
    def placeholder_help():
        return _("Placeholders: %(list)s. Full-width braces ｛｝ work too.", list="; ".join(
            "{%s} %s" % (names[0], sms_service.PLACEHOLDER_LABELS[key])
            for key, names in sms_service.PLACEHOLDERS.items()))

    add_form_extra_fields = edit_form_extra_fields = {
        "content": TextAreaField(_l("Message text"), widget=BS3TextAreaFieldWidget(), validators=[InputRequired()],
                                 description=_l("Write placeholders in braces, e.g. {客户姓名}. Known placeholders: "
                                                "{客户姓名} {称呼} {项目} {置业顾问} {置业顾问电话}.")),
    }

    def template_context(self):
        context = super().template_context()
        context["sms_preview"] = self._preview
        context["sms_placeholder_help"] = self.placeholder_help
        return context

    @staticmethod
    def _preview(pk):
        template = db.session.get(SmsTemplate, int(pk)) if str(pk).isdigit() else None
        if template is None:
            return None, None
        try:
            text = sms_service.preview_content(template.content)
        except BusinessError as e:
            return None, str(e)
        return text, None

    def before_add(self, item):
        sms_service.check_template(item)

    before_update = before_add

    def before_delete(self, item):
        sms_service.check_template_deletable(item)


def _safe_next(value, fallback):
    value = (value or "").strip()
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return fallback


class SmsView(BaseView):
    """Compose: choose a template and the recipients (one customer, chosen customers or a
    filter), preview the count and the first messages, then send."""

    route_base = "/crm/sms"
    default_view = "compose"
    base_permissions = ["can_send", "can_opt_out"]
    method_permission_name = {"compose": "send", "opt_out": "opt_out"}

    def _customers(self, ids):
        """The chosen customers for the page (within scope: else refused and logged)."""
        if not ids:
            return []
        sms_service.check_customers(ids)
        rows = db.session.query(Customer).filter(Customer.id.in_(ids)).order_by(Customer.id).all()
        return [{"id": c.id, "name": c.name, "phone": personal_data.shown(sms_service.mobile_of(c) or c.phone),
                 "owner": c.owner.name if c.owner else "", "opted_out": bool(c.sms_opt_out),
                 "has_phone": sms_service.mobile_of(c) is not None} for c in rows]

    def _choices(self):
        owners = db.session.query(Employee).filter(Employee.status == "active")
        condition = scope.owner_condition(Employee.id)
        if condition is not None:
            owners = owners.filter(condition)
        templates = sms_service.active_templates()
        previews = {}
        for template in templates:
            try:
                previews[template.id] = sms_service.preview_content(template.content)
            except BusinessError as e:
                previews[template.id] = str(e)
        return {
            "templates": templates, "previews": previews,
            "projects": db.session.query(Project).filter(Project.active.is_(True)).order_by(Project.code).all(),
            "grades": active_values("opportunity_grade").all(), "levels": active_values("customer_level").all(),
            "sources": active_values("visit_channel").all(),
            "stages": [(code, str(sms_service.STAGE_LABELS[code])) for code in STAGES],
            "owners": owners.order_by(Employee.department_id, Employee.number).all(),
        }

    def _render(self, values, customer_ids, customers, plan=None, status=200):
        return self.render_template(
            "crm/sms_compose.html", values=values, customer_ids=customer_ids, customers=customers, plan=plan,
            phone_shown=personal_data.shown, segments=sms_service.segments,
            may_opt_out=self.appbuilder.sm.has_access("can_opt_out", "SmsView"),
            placeholder_help=SmsTemplateView.placeholder_help(), **self._choices()), status

    @expose("/compose", methods=["GET", "POST"])
    @has_access
    def compose(self):
        source = request.form if request.method == "POST" else request.args
        values = {k: (source.get(k) or "").strip() for k in FILTER_FIELDS + ("template_id",)}
        raw_ids = source.getlist("customer")
        customer_ids = []
        try:
            customer_ids = sms_service.parse_ids(raw_ids)
            customers = self._customers(customer_ids)
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return redirect(url_for("SmsView.compose"))
        if request.method == "GET":
            if customer_ids and not values["project_id"]:
                # The project of the customer's latest opportunity, for {项目}.
                latest = (db.session.query(Opportunity.project_id).filter(Opportunity.customer_id == customer_ids[0])
                          .order_by(Opportunity.created_at.desc(), Opportunity.id.desc()).first())
                values["project_id"] = str(latest[0]) if latest else ""
            return self._render(values, customer_ids, customers)
        action = request.form.get("action")
        try:
            criteria = sms_service.criteria_from(values, customer_ids)
            if action == "send":
                expected = request.form.get("expected", "")
                message = sms_service.send(criteria, values["template_id"],
                                           expected=int(expected) if expected.isdigit() else None)
                self._flash_sent(message)
                return redirect(url_for("SmsMessageView.show", pk=message.id))
            plan = sms_service.plan(criteria, values["template_id"])
        except sms_service.ListChanged as e:
            db.session.rollback()
            flash(str(e), "warning")
            try:
                plan = sms_service.plan(criteria, values["template_id"])
            except BusinessError as again:
                flash(str(again), "danger")
                return self._render(values, customer_ids, customers, status=422)
            return self._render(values, customer_ids, customers, plan=plan, status=409)
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            status = 403 if isinstance(e, sms_service.OutOfScope) else 422
            return self._render(values, customer_ids, customers, status=status)
        return self._render(values, customer_ids, customers, plan=plan)

    @staticmethod
    def _flash_sent(message):
        if message.pending_count:
            flash(_("%(count)d messages are queued and go out within a few minutes; %(skipped)d customers were "
                    "skipped.", count=message.pending_count, skipped=message.skipped_count), "success")
        elif message.failed_count:
            flash(_("%(sent)d messages sent, %(failed)d failed (see the reasons below), %(skipped)d customers "
                    "skipped.", sent=message.sent_count, failed=message.failed_count,
                    skipped=message.skipped_count), "warning")
        else:
            flash(_("%(sent)d messages sent; %(skipped)d customers skipped.", sent=message.sent_count,
                    skipped=message.skipped_count), "success")

    @expose("/opt-out/<pk>", methods=["POST"])
    @has_access
    def opt_out(self, pk):
        """Mark the customer as not wanting text messages (value 1) or accepting them again (0)."""
        fallback = url_for("SmsView.compose", customer=pk) if str(pk).isdigit() else url_for("SmsView.compose")
        target = _safe_next(request.form.get("next"), fallback)
        try:
            customer = sms_service.set_opt_out(pk, request.form.get("value") == "1")
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return redirect(url_for("SmsView.compose"))
        if customer.sms_opt_out:
            flash(_("%(name)s will receive no more text messages.", name=customer.name), "success")
        else:
            flash(_("%(name)s accepts text messages again.", name=customer.name), "success")
        return redirect(target)


def _dispatch_job():
    return sms_service.dispatch_job()


def init_app(app, appbuilder, first):
    """first: True the first time in this process (register demo data, home panels once)."""
    from app import demo
    from app.core import roles
    from app.crm.api import sms as sms_api
    from app.crm.services import timeline
    from app.jobs.services import register_job

    appbuilder.add_view(SmsView, SEND, label=_l("Send text messages"), icon="fa-sms", category=CUSTOMERS)
    appbuilder.add_view(SmsMessageView, LOG, label=_l("Text message log"), icon="fa-list-alt", category=CUSTOMERS)
    appbuilder.add_view(SmsTemplateView, TEMPLATES, label=_l("Message templates"), icon="fa-file-alt",
                        category=CUSTOMERS)
    appbuilder.add_view(SmsOutboxView, OUTBOX, label=_l("Text message outbox"), icon="fa-inbox", category=CUSTOMERS)
    appbuilder.add_view_no_menu(SmsRecipientView)
    appbuilder.add_api(sms_api.SmsApi)
    appbuilder.add_api(sms_api.SmsMessageApi)

    read = ("can_list", "can_show")
    sales = {"SmsView": ("can_send", "can_opt_out"), "SmsMessageView": read, "SmsRecipientView": read}
    manager = dict(sales, SmsTemplateView=("can_list", "can_show", "can_add", "can_edit", "can_delete"))
    roles.extend(permissions={roles.SALES: sales, roles.MANAGER: manager},
                 menus={roles.SALES: [CUSTOMERS, SEND, LOG], roles.MANAGER: [CUSTOMERS, SEND, LOG, TEMPLATES]})
    register_job("crm_sms_dispatch", _dispatch_job, minutes=1,
                 label=_l("Send the queued text messages"))
    if first:
        demo.register(sms_service.load_demo)
        timeline.register(sms_service.timeline)
