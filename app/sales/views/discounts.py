"""Discount screens: the discount policies of each project (折扣方案) and the discount authority of
roles and users (折扣权限)."""
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.core.services import lookup
from app.core.views.base import LoupanModelView
from app.sales.models import DiscountAuthority, DiscountPolicy
from app.sales.services import discount_authority, discounts


def _choices(labels):
    return lambda: [(k, str(v)) for k, v in labels.items()]


def _sources():
    return [("", "—")] + [(v.name, v.name) for v in lookup.active_values("visit_channel")]


def _percent(value):
    return "" if value is None else "%s%%" % discounts.loans_percent(value)


DiscountPolicy.terms = property(discounts.terms)


class DiscountPolicyView(LoupanModelView):
    datamodel = SQLAInterface(DiscountPolicy)
    list_title = _l("Discount policies")
    show_title = _l("Discount policy")
    add_title = _l("Add discount policy")
    edit_title = _l("Edit discount policy")
    list_columns = ["project", "name", "category", "terms", "sequence", "stackable", "plan", "customer_source",
                    "valid_from", "valid_to", "active"]
    show_columns = ["project", "name", "category", "method", "value", "terms", "sequence", "stackable", "plan",
                    "customer_source", "building", "property_type", "valid_from", "valid_to", "active", "description"]
    add_columns = edit_columns = ["project", "name", "category", "method", "value", "sequence", "stackable", "plan",
                                  "customer_source", "building", "property_type", "valid_from", "valid_to", "active",
                                  "description"]
    search_columns = ["project", "name", "category", "method", "active", "valid_from", "valid_to"]
    base_order = ("project_id", "asc")
    label_columns = {
        "project": _l("Project"), "name": _l("Name"), "category": _l("Category"), "method": _l("Computed as"),
        "value": _l("Value"), "terms": _l("Discount"), "sequence": _l("Order"), "stackable": _l("Stacks"),
        "plan": _l("Payment plan"), "customer_source": _l("Customer source"), "building": _l("Building"),
        "property_type": _l("Property type"), "valid_from": _l("Valid from"), "valid_to": _l("Valid to"),
        "active": _l("Active"), "description": _l("Description"),
    }
    description_columns = {
        "category": _l("Ordinary: chosen by the salesperson. Tied to a payment plan: only with that plan. Special "
                       "(员工价, 老带新, 团购): with a customer source it applies by itself to customers of that "
                       "source."),
        "value": _l("Percentage: what the buyer pays (98 for 98折). Amounts in yuan (off the unit price: yuan per "
                    "㎡ of gross area)."),
        "sequence": _l("Discounts apply from the lowest order up: a percentage at 10 and an amount at 20 is "
                       "先折后减; the other way round is 先减后折. The result is rounded once at the end."),
        "stackable": _l("Ordinary discounts are exclusive: one that does not stack cannot be combined with another "
                        "ordinary discount."),
        "building": _l("Empty: every building of the project."),
        "property_type": _l("Empty: every property type."),
    }
    formatters_columns = {"category": discounts.category_label, "method": discounts.method_label}
    add_form_extra_fields = edit_form_extra_fields = {
        "category": SelectField(_l("Category"), widget=Select2Widget(), default="ordinary",
                                choices=_choices(discounts.CATEGORY_LABELS)),
        "method": SelectField(_l("Computed as"), widget=Select2Widget(), default="percent",
                              choices=_choices(discounts.METHOD_LABELS)),
        "customer_source": SelectField(_l("Customer source"), widget=Select2Widget(), default="",
                                       choices=_sources),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {"project": [["active", FilterEqual, True]]}

    def before_add(self, item):
        discounts.check_policy(item)

    before_update = before_add

    def before_delete(self, item):
        discounts.check_policy_deletable(item)


class DiscountAuthorityView(LoupanModelView):
    datamodel = SQLAInterface(DiscountAuthority)
    list_title = _l("Discount authority")
    show_title = _l("Discount authority")
    add_title = _l("Add discount authority")
    edit_title = _l("Edit discount authority")
    list_columns = ["role", "user", "max_discount", "min_floor_ratio", "note"]
    show_columns = add_columns = edit_columns = list_columns
    label_columns = {"role": _l("Role"), "user": _l("User"), "max_discount": _l("Largest total discount (%)"),
                     "min_floor_ratio": _l("Lowest price (percent of the floor price)"), "note": _l("Note")}
    description_columns = {
        "role": _l("A role, or a user (a user's own row takes the place of their roles' rows)."),
        "max_discount": _l("Of the list price, all discounts together, e.g. 3."),
        "min_floor_ratio": _l("E.g. 100: never below the room's floor price (底价); empty: not checked. Rooms "
                              "without a floor price are checked on the total discount only."),
    }
    formatters_columns = {"max_discount": _percent, "min_floor_ratio": _percent}

    def before_add(self, item):
        discount_authority.check_authority_row(item)

    before_update = before_add
