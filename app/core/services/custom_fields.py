"""Custom fields and labels (字段自定义): one mechanism that any entity registers with.
Values live in the entity's `custom` JSON column keyed by field name."""
import datetime as dt
import decimal
import re

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.errors import BusinessError
from app.core.models import CustomFieldDef, FieldLabel, LookupList, LookupValue
from app.core.services.records import taken
from app.extensions import db

# entity code -> (model class, label)
ENTITIES = {}

TYPE_LABELS = {
    "text": _l("Text"),
    "integer": _l("Whole number"),
    "decimal": _l("Decimal number"),
    "date": _l("Date"),
    "boolean": _l("Yes/No"),
    "choice": _l("Choice from a lookup list"),
}

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def register_entity(code, model, label):
    ENTITIES[code] = (model, label)


def entity_choices():
    return [(code, str(label)) for code, (_m, label) in sorted(ENTITIES.items())]


def definitions(entity, list_only=False):
    query = db.session.query(CustomFieldDef).filter(
        CustomFieldDef.entity == entity, CustomFieldDef.active.is_(True)
    )
    if list_only:
        query = query.filter(CustomFieldDef.show_in_list.is_(True))
    return query.order_by(CustomFieldDef.sort_order, CustomFieldDef.id).all()


def label_overrides(entity):
    return {row.field: row.label for row in db.session.query(FieldLabel).filter_by(entity=entity)}


def validate_definition(defn):
    if defn.entity not in ENTITIES:
        raise BusinessError(_("Unknown entity “%(entity)s”.", entity=defn.entity))
    if not defn.name or not NAME_RE.match(defn.name):
        raise BusinessError(
            _("The field name must start with a lower-case letter and use only a-z, 0-9 and _ (at most 40).")
        )
    if defn.field_type not in TYPE_LABELS:
        raise BusinessError(_("Unknown field type “%(type)s”.", type=defn.field_type))
    if defn.field_type == "choice":
        if not defn.lookup_list_code or not db.session.query(LookupList.id).filter_by(
            code=defn.lookup_list_code
        ).first():
            raise BusinessError(_("A choice field needs a lookup list."))
    else:
        defn.lookup_list_code = None
    model = ENTITIES[defn.entity][0]
    if hasattr(model, defn.name):
        raise BusinessError(_("“%(name)s” is already a built-in field of this entity.", name=defn.name))
    if taken(CustomFieldDef, defn, entity=defn.entity, name=defn.name):
        raise BusinessError(_("This entity already has a field named “%(name)s”.", name=defn.name))


def check_definition_change(defn):
    """The name, entity and type of a field that holds data are fixed: disable it instead."""
    state = sa.inspect(defn)
    for key in ("name", "entity", "field_type"):
        history = state.attrs[key].history
        if history.deleted and history.deleted[0] != getattr(defn, key) and _has_values(defn):
            raise BusinessError(
                _("This field already holds data: its name, entity and type cannot change. Disable it and add a new one.")
            )
    validate_definition(defn)


def _has_values(defn):
    state = sa.inspect(defn)
    original = {}
    for key in ("name", "entity"):
        h = state.attrs[key].history
        original[key] = h.deleted[0] if h.deleted else getattr(defn, key)
    if original["entity"] not in ENTITIES:
        return False
    model = ENTITIES[original["entity"]][0]
    column = model.custom[original["name"]]
    return db.session.query(model.id).filter(
        model.custom.isnot(None), column.as_string().isnot(None)
    ).first() is not None


def check_definition_deletable(defn):
    if _has_values(defn):
        raise BusinessError(_("This field already holds data and cannot be deleted; disable it instead."))


def lookup_value_usage(value):
    count = 0
    for defn in db.session.query(CustomFieldDef).filter_by(
        field_type="choice", lookup_list_code=value.list_code
    ):
        if defn.entity not in ENTITIES:
            continue
        model = ENTITIES[defn.entity][0]
        count += db.session.query(sa.func.count(model.id)).filter(
            model.custom[defn.name].as_integer() == value.id
        ).scalar()
    return count


def parse_value(defn, raw):
    """Turn user input (form or JSON) into the stored JSON value; BusinessError if invalid."""
    if raw is None or raw == "":
        if defn.required and defn.field_type != "boolean":
            raise BusinessError(_("“%(label)s” is required.", label=defn.label))
        return False if defn.field_type == "boolean" else None
    try:
        if defn.field_type == "text":
            value = str(raw).strip()
            if len(value) > 500:
                raise ValueError
            return value
        if defn.field_type == "integer":
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(str(raw).strip())
        if defn.field_type == "decimal":
            if isinstance(raw, bool):
                raise ValueError
            value = decimal.Decimal(str(raw).strip())
            if not value.is_finite():
                raise ValueError
            return str(value)
        if defn.field_type == "date":
            if isinstance(raw, dt.date):
                return raw.isoformat()
            return dt.date.fromisoformat(str(raw).strip()).isoformat()
        if defn.field_type == "boolean":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "y", "yes", "on", "是"):
                return True
            if text in ("0", "false", "n", "no", "off", "否"):
                return False
            raise ValueError
        if defn.field_type == "choice":
            value_id = raw.id if isinstance(raw, LookupValue) else int(str(raw).strip())
            ok = db.session.query(LookupValue.id).filter_by(
                id=value_id, list_code=defn.lookup_list_code, active=True
            ).first()
            if not ok:
                raise ValueError
            return value_id
    except (ValueError, TypeError, decimal.InvalidOperation):
        raise BusinessError(_("“%(label)s”: “%(value)s” is not a valid value.", label=defn.label, value=raw))
    raise BusinessError(_("Unknown field type “%(type)s”.", type=defn.field_type))


def clean_values(entity, data, existing=None):
    """Validate a whole `custom` object (API or form); unknown keys are refused."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BusinessError(_("Custom fields must be given as an object."))
    defs = {d.name: d for d in definitions(entity)}
    unknown = sorted(set(data) - set(defs))
    if unknown:
        raise BusinessError(_("Unknown custom fields: %(names)s.", names=", ".join(unknown)))
    result = dict(existing or {})
    for name, defn in defs.items():
        if name in data:
            result[name] = parse_value(defn, data[name])
        elif defn.required and result.get(name) in (None, ""):
            raise BusinessError(_("“%(label)s” is required.", label=defn.label))
    return result


def display_values(defs, rows):
    """Formatted custom values for many rows with one query for choice names."""
    choice_ids = {
        (row.custom or {}).get(d.name)
        for row in rows for d in defs if d.field_type == "choice"
    } - {None}
    names = {}
    if choice_ids:
        names = dict(db.session.query(LookupValue.id, LookupValue.name).filter(LookupValue.id.in_(choice_ids)))
    out = []
    for row in rows:
        data = row.custom or {}
        out.append({d.name: format_value(d, data.get(d.name), names) for d in defs})
    return out


def format_value(defn, value, names=None):
    if value is None or value == "":
        return ""
    if defn.field_type == "boolean":
        return _("Yes") if value else _("No")
    if defn.field_type == "choice":
        if names is None:
            names = lookup_names(defn.lookup_list_code)
        return names.get(value, "")
    return str(value)


def lookup_names(code):
    """id → name of a whole list, loaded once per request (lists are short)."""
    from flask import g, has_request_context
    cache = g.setdefault("_loupan_lookup_names", {}) if has_request_context() else {}
    if code not in cache:
        cache[code] = dict(
            db.session.query(LookupValue.id, LookupValue.name).filter(LookupValue.list_code == code)
        )
    return cache[code]


def filter_condition(model, defn, raw):
    """A SQL condition for a list filter on one custom field."""
    column = model.custom[defn.name]
    if defn.field_type == "text":
        return column.as_string().like("%" + raw.replace("%", r"\%") + "%")
    value = parse_value(defn, raw)
    if defn.field_type in ("choice", "integer"):
        return column.as_integer() == value
    if defn.field_type == "boolean":
        return column.as_boolean() == value
    return column.as_string() == value


def validate_label(row):
    if row.entity not in ENTITIES:
        raise BusinessError(_("Unknown entity “%(entity)s”.", entity=row.entity))
    model = ENTITIES[row.entity][0]
    if row.field not in model.__table__.c and not hasattr(model, row.field):
        raise BusinessError(_("“%(field)s” is not a field of this entity.", field=row.field))
    if taken(FieldLabel, row, entity=row.entity, field=row.field):
        raise BusinessError(_("This field has already been renamed; edit that entry instead."))
