"""Admin screens for custom fields and renamed labels."""
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import InputRequired

from app.core.models import CustomFieldDef, FieldLabel, LookupList
from app.core.services import custom_fields as cf
from app.core.views.base import LoupanModelView
from app.extensions import db


def _entity_field():
    return SelectField(_l("Entity"), choices=cf.entity_choices, widget=Select2Widget(),
                       validators=[InputRequired()])


def _lookup_choices():
    return [("", "")] + [(l.code, l.name) for l in db.session.query(LookupList).order_by(LookupList.id)]


class CustomFieldDefView(LoupanModelView):
    datamodel = SQLAInterface(CustomFieldDef)
    list_title = _l("Custom fields")
    show_title = _l("Custom field")
    add_title = _l("Add custom field")
    edit_title = _l("Edit custom field")
    list_columns = ["entity", "name", "label", "field_type", "required", "show_in_list", "sort_order", "active"]
    add_columns = edit_columns = ["entity", "name", "label", "field_type", "lookup_list_code", "required",
                                  "show_in_list", "sort_order", "active"]
    show_columns = add_columns
    search_columns = ["entity", "label", "active"]
    base_order = ("entity", "asc")
    label_columns = {
        "entity": _l("Entity"), "name": _l("Field name"), "label": _l("Label"), "field_type": _l("Type"),
        "lookup_list_code": _l("Lookup list"), "required": _l("Required"), "show_in_list": _l("Shown in lists"),
        "sort_order": _l("Order"), "active": _l("Enabled"),
    }
    description_columns = {
        "name": _l("Internal name: lower-case letters, digits and _; used in the API and in exports."),
        "lookup_list_code": _l("Only for the type “Choice from a lookup list”."),
    }
    formatters_columns = {
        "field_type": lambda t: str(cf.TYPE_LABELS.get(t, t)),
        "entity": lambda e: dict(cf.entity_choices()).get(e, e),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "entity": _entity_field(),
        "field_type": SelectField(_l("Type"), choices=[(k, v) for k, v in cf.TYPE_LABELS.items()],
                                  widget=Select2Widget(), validators=[InputRequired()]),
        "lookup_list_code": SelectField(_l("Lookup list"), choices=_lookup_choices, widget=Select2Widget()),
    }

    def before_add(self, item):
        item.lookup_list_code = item.lookup_list_code or None
        cf.validate_definition(item)

    def before_update(self, item):
        item.lookup_list_code = item.lookup_list_code or None
        cf.check_definition_change(item)

    def before_delete(self, item):
        cf.check_definition_deletable(item)


class FieldLabelView(LoupanModelView):
    datamodel = SQLAInterface(FieldLabel)
    list_title = _l("Field labels")
    show_title = _l("Field label")
    add_title = _l("Rename a field")
    edit_title = _l("Rename a field")
    list_columns = ["entity", "field", "label"]
    add_columns = edit_columns = show_columns = ["entity", "field", "label"]
    label_columns = {"entity": _l("Entity"), "field": _l("Built-in field"), "label": _l("Label")}
    description_columns = {"field": _l("The field's internal name, e.g. position or hire_date.")}
    formatters_columns = {"entity": lambda e: dict(cf.entity_choices()).get(e, e)}
    add_form_extra_fields = edit_form_extra_fields = {"entity": _entity_field()}

    def before_add(self, item):
        cf.validate_label(item)

    before_update = before_add
