"""Customer screens: customers, visits, opportunities, follow-ups (all scoped: 私客保护)."""
from flask import flash, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, DatePickerWidget, Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from app.core import display, personal_data
from app.core.views.base import LoupanModelView
from app.core.views.custom_fields import CustomFieldsMixin
from app.crm.models import Customer, FollowUp, Opportunity, Visit
from app.crm.services import customers as customer_service
from app.crm.services import follow_ups as follow_up_service
from app.crm.services import lifecycle
from app.crm.services import opportunities as opportunity_service
from app.crm.services import scope
from app.crm.services import team as team_service
from app.crm.views.scoping import ScopedViewMixin, ScopeFilter, condition_for
from app.extensions import db

KIND_LABELS = {"person": _l("Person"), "company": _l("Company")}
GENDER_LABELS = {"male": _l("Male"), "female": _l("Female")}
ID_TYPE_LABELS = {"id_card": _l("Resident ID card"), "passport": _l("Passport"),
                  "hk_macau_permit": _l("Hong Kong/Macau permit"), "taiwan_permit": _l("Taiwan permit"),
                  "business_licence": _l("Business licence"), "other": _l("Other")}
VISIT_KIND_LABELS = {"visit": _l("Visit"), "call": _l("Call")}
STAGE_LABELS = {"potential": _l("Potential"), "intent": _l("Intent"), "reserved": _l("Reserved"),
                "subscribed": _l("Subscribed"), "signed": _l("Signed"), "won": _l("Closed (won)"),
                "lost": _l("Lost")}
CONTACT_LABELS = {"visit": _l("Visit"), "call": _l("Call"), "message": _l("Message"), "wechat": _l("WeChat"),
                  "home_visit": _l("Home visit")}


# A stored moment (naive UTC) as the sales office reads it: 2026-11-26 14:30, local time.
when = display.local_time


def _choices(labels, blank=False):
    return lambda: ([("", "")] if blank else []) + [(k, str(v)) for k, v in labels.items()]


def _label(labels):
    return lambda v: str(labels.get(v, v or ""))


def _lookup(code):
    return [["list_code", FilterEqual, code], ["active", FilterEqual, True]]


ACTIVE_EMPLOYEES = [["status", FilterEqual, "active"]]
SCOPED = [["id", ScopeFilter, None]]


class VisitView(ScopedViewMixin, LoupanModelView):
    datamodel = SQLAInterface(Visit)
    list_title = _l("Visits and calls")
    show_title = _l("Visit")
    base_permissions = ["can_list", "can_show"]
    base_filters = SCOPED
    list_columns = ["visited_at", "customer", "project", "kind", "is_first", "channel", "received_by",
                    "layout_wanted"]
    show_columns = ["visited_at", "customer", "project", "kind", "is_first", "channel", "received_by",
                    "layout_wanted", "area_min", "area_max", "budget_min", "budget_max", "floors_wanted", "notes"]
    search_columns = ["visited_at", "project", "kind", "is_first", "channel", "received_by"]
    base_order = ("visited_at", "desc")
    label_columns = {"visited_at": _l("Time"), "customer": _l("Customer"), "project": _l("Project"),
                     "kind": _l("Visit or call"), "is_first": _l("First visit"), "channel": _l("Visit channel"),
                     "received_by": _l("Received by"), "layout_wanted": _l("Layout wanted"),
                     "area_min": _l("Area from"), "area_max": _l("Area to"), "budget_min": _l("Budget from"),
                     "budget_max": _l("Budget to"), "floors_wanted": _l("Floors wanted"), "notes": _l("Notes")}
    formatters_columns = {"kind": _label(VISIT_KIND_LABELS)}


class OpportunityView(ScopedViewMixin, LoupanModelView):
    datamodel = SQLAInterface(Opportunity)
    list_title = _l("Opportunities")
    show_title = _l("Opportunity")
    add_title = _l("Add opportunity")
    edit_title = _l("Edit opportunity")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    base_filters = SCOPED
    list_columns = ["customer", "project", "owner", "grade", "stage", "chance", "lost_reason", "created_at"]
    show_columns = ["customer", "project", "owner", "grade", "stage", "chance", "lost_reason", "notes", "created_at"]
    add_columns = edit_columns = ["customer", "project", "owner", "grade", "stage", "chance", "lost_reason", "notes"]
    search_columns = ["project", "owner", "grade", "stage", "created_at"]
    base_order = ("created_at", "desc")
    label_columns = {"customer": _l("Customer"), "project": _l("Project"), "owner": _l("Owner"),
                     "grade": _l("Grade"), "stage": _l("Stage"), "chance": _l("Chance (%)"),
                     "lost_reason": _l("Lost reason"), "notes": _l("Notes"), "created_at": _l("Created on")}
    formatters_columns = {"stage": _label(STAGE_LABELS)}
    add_form_extra_fields = edit_form_extra_fields = {
        "stage": SelectField(_l("Stage"), choices=_choices(STAGE_LABELS), widget=Select2Widget(), default="potential"),
        "chance": IntegerField(_l("Chance (%)"), widget=BS3TextFieldWidget(),
                               validators=[Optional(), NumberRange(0, 100)]),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "customer": SCOPED, "owner": ACTIVE_EMPLOYEES, "grade": _lookup("opportunity_grade"),
        "lost_reason": _lookup("lost_reason"),
    }

    def before_add(self, item):
        opportunity_service.check_opportunity(item)

    before_update = before_add

    def detail_links(self, pk):
        if self.appbuilder.sm.has_access("can_release", "PoolView"):
            return [(_l("Give up to the public pool"), url_for("PoolView.release", pk=pk), "fa-sign-out-alt")]
        return []


class FollowUpView(ScopedViewMixin, LoupanModelView):
    datamodel = SQLAInterface(FollowUp)
    list_title = _l("Follow-ups")
    show_title = _l("Follow-up")
    add_title = _l("Add follow-up")
    edit_title = _l("Edit follow-up")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_due", "can_team"]
    base_filters = SCOPED
    list_columns = ["followed_at", "customer", "contact_type", "content", "employee", "next_date", "open"]
    show_columns = ["followed_at", "customer", "opportunity", "contact_type", "content", "employee", "next_date",
                    "open"]
    add_columns = ["customer", "opportunity", "contact_type", "content", "next_date"]
    edit_columns = ["contact_type", "content", "next_date"]
    search_columns = ["followed_at", "contact_type", "employee", "next_date", "open"]
    base_order = ("followed_at", "desc")
    label_columns = {"followed_at": _l("Time"), "customer": _l("Customer"), "opportunity": _l("Opportunity"),
                     "contact_type": _l("Contact type"), "content": _l("Content"), "employee": _l("Followed up by"),
                     "next_date": _l("Next follow-up"), "open": _l("Still to do")}
    formatters_columns = {"contact_type": _label(CONTACT_LABELS),
                          "content": lambda v: (v or "")[:60] + ("…" if v and len(v) > 60 else "")}
    add_form_extra_fields = edit_form_extra_fields = {
        "contact_type": SelectField(_l("Contact type"), choices=_choices(CONTACT_LABELS), widget=Select2Widget()),
        "next_date": DateField(_l("Next follow-up"), format="%Y-%m-%d", widget=DatePickerWidget(),
                               validators=[Optional()]),
    }
    add_form_query_rel_fields = {"customer": SCOPED, "opportunity": SCOPED}

    def before_add(self, item):
        follow_up_service.check_follow_up(item, is_new=True)

    def before_update(self, item):
        follow_up_service.check_follow_up(item, is_new=False)

    @expose("/due/")
    @has_access
    def due(self):
        """Open follow-ups due today or overdue, of every customer the user may see (a
        supervisor: the team's)."""
        query = db.session.query(FollowUp).filter(FollowUp.open.is_(True),
                                                  FollowUp.next_date <= follow_up_service.today())
        condition = condition_for(FollowUp)
        if condition is not None:
            query = query.filter(condition)
        rows = query.order_by(FollowUp.next_date, FollowUp.id).limit(500).all()
        return self.render_template("crm/due.html", rows=rows, today=follow_up_service.today(),
                                    contact_labels=CONTACT_LABELS)

    @expose("/team/")
    @has_access
    def team(self):
        """A supervisor's team: overdue follow-ups counted per salesperson, and listed (all of
        them, or one salesperson's) with the days overdue."""
        today = follow_up_service.today()
        summary = team_service.overdue_by_salesperson(today)
        employee = request.args.get("employee", "")
        employee_id = int(employee) if employee.isdigit() and int(employee) < 2 ** 31 else None
        rows = team_service.overdue_follow_ups(employee_id, today)
        chosen = next((name for pk, name, _n, _d in summary if pk == employee_id), None)
        return self.render_template("crm/team_overdue.html", summary=summary, rows=rows, today=today,
                                    employee_id=employee_id, chosen=chosen, limit=team_service.LIST_LIMIT,
                                    contact_labels=CONTACT_LABELS, when=when,
                                    may_open=self.appbuilder.sm.has_access("can_show", "Customer360View"))


class CustomerView(ScopedViewMixin, CustomFieldsMixin, LoupanModelView):
    datamodel = SQLAInterface(Customer)
    list_title = _l("Customers")
    show_title = _l("Customer")
    add_title = _l("Add customer")
    edit_title = _l("Edit customer")
    export_enabled = True
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_export"]
    base_filters = SCOPED
    related_views = [OpportunityView, VisitView, FollowUpView]
    list_columns = ["name", "kind", "phone", "level", "lifecycle_rank", "source", "region", "owner", "created_at"]
    show_columns = ["name", "kind", "phone", "phone2", "id_type", "id_number", "gender", "age_band", "address",
                    "region", "occupation", "family", "source", "level", "lifecycle_rank", "tags", "notes", "owner",
                    "created_at"]
    add_columns = edit_columns = ["name", "kind", "phone", "phone2", "id_type", "id_number", "gender", "age_band",
                                  "address", "region", "occupation", "family", "source", "level", "tags", "notes",
                                  "owner"]
    search_columns = ["name", "kind", "level", "lifecycle_rank", "source", "region", "owner", "created_at", "tags"]
    base_order = ("created_at", "desc")
    label_columns = {
        "name": _l("Name"), "kind": _l("Person or company"), "phone": _l("Phone"), "phone2": _l("Second phone"),
        "id_type": _l("ID type"), "id_number": _l("ID number"), "gender": _l("Gender"), "age_band": _l("Age band"),
        "address": _l("Address"), "region": _l("Region"), "occupation": _l("Occupation"), "family": _l("Family"),
        "source": _l("Source channel"), "level": _l("Customer level"), "tags": _l("Tags"), "notes": _l("Notes"),
        "owner": _l("Owner"), "created_at": _l("Created on"), "lifecycle_rank": _l("Lifecycle stage"),
    }
    formatters_columns = {
        "phone": personal_data.shown, "phone2": personal_data.shown, "id_number": personal_data.shown,
        "kind": _label(KIND_LABELS), "gender": _label(GENDER_LABELS), "id_type": _label(ID_TYPE_LABELS),
        "lifecycle_rank": lifecycle.label_of_rank,
    }
    # Derived from the opportunities (never typed in): filtered by stage, not by a number.
    search_form_extra_fields = {
        "lifecycle_rank": SelectField(_l("Lifecycle stage"), choices=lifecycle.choices, widget=Select2Widget()),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Person or company"), choices=_choices(KIND_LABELS), widget=Select2Widget(),
                            default="person"),
        "gender": SelectField(_l("Gender"), choices=_choices(GENDER_LABELS, blank=True), widget=Select2Widget(),
                              validators=[Optional()]),
        "id_type": SelectField(_l("ID type"), choices=_choices(ID_TYPE_LABELS, blank=True), widget=Select2Widget(),
                               validators=[Optional()]),
        "phone": StringField(_l("Phone"), widget=BS3TextFieldWidget(), validators=[InputRequired()]),
        "phone2": StringField(_l("Second phone"), widget=BS3TextFieldWidget(), validators=[Optional()]),
        "id_number": StringField(_l("ID number"), widget=BS3TextFieldWidget(), validators=[Optional()]),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "age_band": _lookup("age_band"), "region": _lookup("region"), "occupation": _lookup("occupation"),
        "family": _lookup("family_structure"), "source": _lookup("visit_channel"),
        "level": _lookup("customer_level"), "owner": ACTIVE_EMPLOYEES,
    }

    def before_add(self, item):
        for field in ("gender", "id_type"):
            if not getattr(item, field):
                setattr(item, field, None)
        try:
            customer_service.check_customer(item)
        except customer_service.DuplicateCustomer as refusal:
            self._offer_visit(refusal.existing, item)
            raise
        customer_service.check_owner_may_be_changed(item)

    before_update = before_add

    def _offer_visit(self, existing, item):
        if not self.appbuilder.sm.has_access("can_register", "VisitRegistrationView"):
            return
        # The phone the user typed (not the existing customer's, which they may not see).
        typed = item.phone if existing.phone == item.phone or existing.phone2 == item.phone else ""
        link = url_for("VisitRegistrationView.register", phone=typed) if typed else \
            url_for("VisitRegistrationView.register", phone_of=existing.id)
        flash(Markup('<a class="loupan-register-against" href="%s"><i class="fa fa-walking"></i> %s</a>')
              % (link, escape(_l("Register a visit or call against the existing customer"))), "info")

    def detail_links(self, pk):
        links = []
        if self.appbuilder.sm.has_access("can_show", "Customer360View"):
            links.append((_l("Customer 360"), url_for("Customer360View.show", pk=pk), "fa-id-card"))
        if self.appbuilder.sm.has_access("can_add", "FollowUpView"):
            links.append((_l("Add follow-up"), url_for("FollowUpView.add", _flt_0_customer=pk), "fa-comments"))
        if self.appbuilder.sm.has_access("can_register", "VisitRegistrationView"):
            links.append((_l("Register a visit or call"), url_for("VisitRegistrationView.register", phone_of=pk),
                          "fa-walking"))
        if self.appbuilder.sm.has_access("can_send", "SmsView"):
            links.append((_l("Send a text message"), url_for("SmsView.compose", customer=pk), "fa-sms"))
        if self.appbuilder.sm.has_access("can_transfer", "CustomerTransferView"):
            links.append((_l("Transfer"), url_for("CustomerTransferView.transfer", customer=pk), "fa-exchange-alt"))
        return links

    def list_links(self):
        links = []
        if self.appbuilder.sm.has_access("can_transfer", "CustomerTransferView"):
            links.append((_l("Transfer customers"), url_for("CustomerTransferView.transfer"), "fa-exchange-alt"))
        if self.appbuilder.sm.has_access("can_send", "SmsView"):
            links.append((_l("Send text messages"), url_for("SmsView.compose"), "fa-sms"))
        return links


__all__ = ["CustomerView", "VisitView", "OpportunityView", "FollowUpView", "scope"]
