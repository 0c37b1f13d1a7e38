from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.core.models import LookupList, LookupValue
from app.core.services import lookup as lookups
from app.core.views.base import LoupanModelView


class LookupValueView(LoupanModelView):
    datamodel = SQLAInterface(LookupValue)
    list_title = _l("Lookup values")
    show_title = _l("Lookup value")
    add_title = _l("Add lookup value")
    edit_title = _l("Edit lookup value")
    list_columns = ["lookup_list", "name", "sort_order", "active"]
    add_columns = edit_columns = ["lookup_list", "name", "sort_order", "active"]
    show_columns = ["lookup_list", "name", "sort_order", "active"]
    search_columns = ["lookup_list", "name", "active"]
    base_order = ("sort_order", "asc")
    label_columns = {
        "lookup_list": _l("Lookup list"), "name": _l("Value"),
        "sort_order": _l("Order"), "active": _l("Enabled"),
    }

    def before_add(self, item):
        lookups.check_value_unique(item)

    def before_update(self, item):
        lookups.check_value_unique(item)

    def before_delete(self, item):
        lookups.check_value_deletable(item)


class LookupListView(LoupanModelView):
    datamodel = SQLAInterface(LookupList)
    list_title = _l("Lookup lists")
    show_title = _l("Lookup list")
    add_title = _l("Add lookup list")
    edit_title = _l("Edit lookup list")
    related_views = [LookupValueView]
    list_columns = ["name", "code", "description"]
    add_columns = ["name", "code", "description"]
    edit_columns = ["name", "description"]
    show_columns = ["name", "code", "description"]
    search_columns = ["name", "code"]
    base_order = ("id", "asc")
    label_columns = {"name": _l("Name"), "code": _l("Code"), "description": _l("Description")}

    def before_delete(self, item):
        lookups.check_list_deletable(item)
