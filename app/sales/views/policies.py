"""Policy table screens (政策参数): deed tax, maintenance fund, loan rates and mortgage policy, each
row dated; administrators edit them, the sales office reads them."""
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.core import display
from app.core.views.base import LoupanModelView
from app.sales.models import DeedTaxRule, LoanRate, MaintenanceFundRule, MortgagePolicy
from app.sales.services import policies


def _choices(labels, keys=None):
    return lambda: [(k, str(labels[k])) for k in (keys or labels)]


def _percent(value):
    return "" if value is None else "%s%%" % policies.percent_text(value)


def _label(labels):
    return lambda value: str(labels.get(value, value or ""))


DATED_LABELS = {"valid_from": _l("Valid from"), "valid_to": _l("Valid to"), "note": _l("Note (source)")}
DATED_DESCRIPTIONS = {
    "valid_from": _l("The rule applies from this date until a newer rule for the same case takes over."),
    "valid_to": _l("Leave empty unless the rule ends without a replacement."),
}


class PolicyView(LoupanModelView):
    base_order = ("valid_from", "desc")


class DeedTaxRuleView(PolicyView):
    datamodel = SQLAInterface(DeedTaxRule)
    list_title = _l("Deed tax")
    show_title = _l("Deed tax rule")
    add_title = _l("Add deed tax rule")
    edit_title = _l("Edit deed tax rule")
    list_columns = ["valid_from", "valid_to", "residential", "home", "area_above", "area_up_to", "rate", "note"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["valid_from", "residential", "home"]
    label_columns = dict(DATED_LABELS, residential=_l("Residential"), home=_l("Buyer's home"),
                         area_above=_l("Gross area above (㎡)"), area_up_to=_l("Gross area up to (㎡)"),
                         rate=_l("Rate (percent of the price)"))
    description_columns = dict(DATED_DESCRIPTIONS, area_above=_l("Empty: from 0."),
                               area_up_to=_l("Empty: no limit. The limit itself is included."),
                               residential=_l("Untick for shops, offices, serviced apartments and parking."))
    formatters_columns = {"home": _label(policies.HOME_LABELS), "rate": _percent,
                          "area_above": display.area, "area_up_to": display.area}
    add_form_extra_fields = edit_form_extra_fields = {
        "home": SelectField(_l("Buyer's home"), widget=Select2Widget(), default="any",
                            choices=_choices(policies.HOME_LABELS, ("any", "first", "second"))),
    }

    def before_add(self, item):
        policies.check_deed_tax_rule(item)

    before_update = before_add


class MaintenanceFundRuleView(PolicyView):
    datamodel = SQLAInterface(MaintenanceFundRule)
    list_title = _l("Maintenance fund")
    show_title = _l("Maintenance fund rule")
    add_title = _l("Add maintenance fund rule")
    edit_title = _l("Edit maintenance fund rule")
    list_columns = ["valid_from", "valid_to", "city", "residential", "amount_per_m2", "note"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["valid_from", "city", "residential"]
    label_columns = dict(DATED_LABELS, city=_l("City"), residential=_l("Residential"),
                         amount_per_m2=_l("Yuan per ㎡ of gross area"))
    description_columns = dict(DATED_DESCRIPTIONS, city=_l("As written in the project's city (e.g. 广州); empty: "
                                                           "every city without its own rule."))
    formatters_columns = {"amount_per_m2": display.money}

    def before_add(self, item):
        policies.check_maintenance_fund_rule(item)

    before_update = before_add


class LoanRateView(PolicyView):
    datamodel = SQLAInterface(LoanRate)
    list_title = _l("Loan rates")
    show_title = _l("Loan rate")
    add_title = _l("Add loan rate")
    edit_title = _l("Edit loan rate")
    list_columns = ["valid_from", "valid_to", "kind", "term", "home", "rate", "note"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["valid_from", "kind", "term", "home"]
    label_columns = dict(DATED_LABELS, kind=_l("Kind"), term=_l("Term"), home=_l("Buyer's home"),
                         rate=_l("Rate (% a year)"))
    description_columns = dict(DATED_DESCRIPTIONS, kind=_l("The LPR (commercial loans cost the LPR plus the "
                                                           "city's spread) or the provident-fund rate."))
    formatters_columns = {"kind": _label(policies.LOAN_RATE_KIND_LABELS), "term": _label(policies.TERM_LABELS),
                          "home": _label(policies.HOME_LABELS), "rate": _percent}
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Kind"), widget=Select2Widget(), default="lpr",
                            choices=_choices(policies.LOAN_RATE_KIND_LABELS)),
        "term": SelectField(_l("Term"), widget=Select2Widget(), default="long", choices=_choices(policies.TERM_LABELS)),
        "home": SelectField(_l("Buyer's home"), widget=Select2Widget(), default="any",
                            choices=_choices(policies.HOME_LABELS, ("any", "first", "second"))),
    }

    def before_add(self, item):
        policies.check_loan_rate(item)

    before_update = before_add


class MortgagePolicyView(PolicyView):
    datamodel = SQLAInterface(MortgagePolicy)
    list_title = _l("Mortgage policy")
    show_title = _l("Mortgage policy")
    add_title = _l("Add mortgage policy")
    edit_title = _l("Edit mortgage policy")
    list_columns = ["valid_from", "valid_to", "city", "home", "commercial_min_down", "provident_min_down",
                    "commercial_spread", "note"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["valid_from", "city", "home"]
    label_columns = dict(DATED_LABELS, city=_l("City"), home=_l("For"),
                         commercial_min_down=_l("Commercial loan: minimum down payment (%)"),
                         provident_min_down=_l("Provident fund: minimum down payment (%)"),
                         commercial_spread=_l("Commercial rate over the LPR (percentage points)"))
    description_columns = dict(DATED_DESCRIPTIONS,
                               city=_l("As written in the project's city (e.g. 广州); empty: every city without "
                                       "its own policy."),
                               provident_min_down=_l("Empty where the provident fund does not lend "
                                                     "(non-residential)."),
                               commercial_spread=_l("E.g. -0.3 for LPR − 30 basis points; 0 for the LPR itself."))
    formatters_columns = {"home": _label(policies.HOME_LABELS), "commercial_min_down": _percent,
                          "provident_min_down": _percent,
                          "commercial_spread": lambda v: "" if v is None else "%+.2f" % v}
    add_form_extra_fields = edit_form_extra_fields = {
        "home": SelectField(_l("For"), widget=Select2Widget(), default="first",
                            choices=_choices(policies.HOME_LABELS, ("first", "second", "non_residential"))),
    }

    def before_add(self, item):
        policies.check_mortgage_policy(item)

    before_update = before_add
