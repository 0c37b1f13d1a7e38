"""Custom fields on FAB screens: a mixin that adds an entity's admin-defined fields to its
add/edit forms, detail page, list columns, list filters and renamed labels, per request."""
import datetime as dt
import decimal

from flask import g, has_request_context, request
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, DatePickerWidget, Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from app.core.errors import BusinessError
from app.core.services import custom_fields as cf
from app.core.services.lookup import active_values
from app.extensions import db


def _wtf_field(defn):
    validators = [InputRequired()] if defn.required and defn.field_type != "boolean" else [Optional()]
    kw = {"label": defn.label, "validators": validators}
    if defn.field_type == "text":
        return StringField(widget=BS3TextFieldWidget(), **dict(kw, validators=validators + [Length(max=500)]))
    if defn.field_type == "integer":
        return IntegerField(widget=BS3TextFieldWidget(), **kw)
    if defn.field_type == "decimal":
        return DecimalField(widget=BS3TextFieldWidget(), **kw)
    if defn.field_type == "date":
        return DateField(widget=DatePickerWidget(), format="%Y-%m-%d", **kw)
    if defn.field_type == "boolean":
        return BooleanField(label=defn.label)
    choices = [("", "")] + [(str(v.id), v.name) for v in active_values(defn.lookup_list_code)]
    return SelectField(choices=choices, widget=Select2Widget(), **kw)


def _form_value(defn, item):
    value = (item.custom or {}).get(defn.name) if item is not None else None
    if value is None:
        return None
    if defn.field_type == "choice":
        return str(value)
    if defn.field_type == "date":
        return dt.date.fromisoformat(value)
    if defn.field_type == "decimal":
        return decimal.Decimal(value)
    return value


def _defs(entity, list_only=False):
    """Definitions cached for the request (one query per request and kind)."""
    cache = g.setdefault("_loupan_cf_defs", {})
    key = (entity, list_only)
    if key not in cache:
        cache[key] = cf.definitions(entity, list_only=list_only)
    return cache[key]


class CustomFieldFilter(BaseFilter):
    """Applies the list page's `cf_<name>=value` arguments; registered as a base filter."""

    name = "custom fields"
    arg_name = "cf"

    def apply(self, query, value):
        model = self.datamodel.obj
        for defn in _defs(model.__custom_entity__):
            raw = request.args.get("cf_" + defn.name, "").strip() if has_request_context() else ""
            if raw:
                try:
                    query = query.filter(cf.filter_condition(model, defn, raw))
                except BusinessError:
                    query = query.filter(model.id.is_(None))
        return query


def _dynamic(name, extend):
    private = "_base_" + name

    def getter(self):
        base = getattr(self, private, None)
        if not has_request_context() or not getattr(self, "_cf_ready", False):
            return base
        return extend(self, base)

    def setter(self, value):
        setattr(self, private, value)

    return property(getter, setter)


def _cols(list_only=False):
    def extend(self, base):
        return list(base or []) + ["cf_" + d.name for d in _defs(self.custom_entity, list_only) if "cf_" + d.name not in (base or [])]
    return extend


def _labels(self, base):
    labels = dict(base or {})
    for field, label in cf.label_overrides(self.custom_entity).items():
        labels[field] = label
    for d in _defs(self.custom_entity):
        labels["cf_" + d.name] = d.label
    return labels


def _formatters(self, base):
    formatters = dict(base or {})
    for d in _defs(self.custom_entity):
        if d.field_type in ("choice", "boolean"):
            formatters["cf_" + d.name] = (lambda defn: lambda v: cf.format_value(defn, v))(d)
    return formatters


def _form(kind):
    def extend(self, base):
        defs = _defs(self.custom_entity)
        if not defs:
            return base
        attrs = {"cf_" + d.name: _wtf_field(d) for d in defs}
        return type(base.__name__, (base,), attrs)
    return extend


class CustomFieldsMixin:
    """Mix into a LoupanModelView whose model has CustomFieldsMixin."""

    list_template = "core/list.html"
    list_columns = _dynamic("list_columns", _cols(list_only=True))
    show_columns = _dynamic("show_columns", _cols())
    add_columns = _dynamic("add_columns", _cols())
    edit_columns = _dynamic("edit_columns", _cols())
    label_columns = _dynamic("label_columns", _labels)
    formatters_columns = _dynamic("formatters_columns", _formatters)
    add_form = _dynamic("add_form", _form("add"))
    edit_form = _dynamic("edit_form", _form("edit"))

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A subclass's plain `list_columns = [...]` becomes the base of the dynamic property.
        for name in _DYNAMIC:
            value = cls.__dict__.get(name)
            if value is not None and not isinstance(value, property):
                setattr(cls, "_base_" + name, value)
                delattr(cls, name)

    def __init__(self, *args, **kwargs):
        model = self.datamodel.obj
        self.custom_entity = model.__custom_entity__
        self.base_filters = list(self.base_filters or []) + [["id", CustomFieldFilter, None]]
        super().__init__(*args, **kwargs)
        self._cf_ready = True
        self.extra_args = dict(self.extra_args or {}, custom_filter_entity=self.custom_entity)

    def prefill_form(self, form, pk):
        # The form read cf_<name> through the model as stored JSON; give the fields typed values.
        item = self.datamodel.get(pk)
        for d in _defs(self.custom_entity):
            if "cf_" + d.name in form:
                form["cf_" + d.name].data = _form_value(d, item)
        super().prefill_form(form, pk)

    def process_form(self, form, is_created):
        # Custom values leave the form before FAB copies it onto the model; pre_add/pre_update
        # validate them and store them in `custom`.
        data = {}
        for d in _defs(self.custom_entity):
            key = "cf_" + d.name
            if key in form:
                data[d.name] = form[key].data
                del form[key]
        g._loupan_cf_values = data
        super().process_form(form, is_created)

    def _apply_custom(self, item):
        data = g.pop("_loupan_cf_values", None)
        if data is not None:
            with db.session.no_autoflush:
                item.custom = cf.clean_values(self.custom_entity, data, existing=item.custom)

    def pre_add(self, item):
        self._guard(self._apply_custom, item)
        super().pre_add(item)

    def pre_update(self, item):
        self._guard(self._apply_custom, item)
        super().pre_update(item)

    def template_context(self):
        context = super().template_context()
        context["custom_filters"] = [
            (d, request.args.get("cf_" + d.name, "")) for d in _defs(self.custom_entity)
        ]
        context["custom_filters_active"] = any(value for _d, value in context["custom_filters"])
        context["lookup_choices"] = lambda code: active_values(code).all()
        return context


_DYNAMIC = ("list_columns", "show_columns", "add_columns", "edit_columns", "label_columns",
            "formatters_columns", "add_form", "edit_form")
