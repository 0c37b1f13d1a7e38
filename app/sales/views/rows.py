"""A table of rows inside a Flask-AppBuilder form (a plan's instalments and fees): one line of
inputs per row and a few empty lines to add more; no JavaScript. The field's data is a list of
dicts; the service reads and checks them with the rest of the form, so a refusal saves nothing."""
from decimal import Decimal

from markupsafe import Markup, escape
from wtforms import Field
from wtforms.utils import unset_value

BLANK_ROWS = 3


class RowsWidget:
    def __call__(self, field, **kwargs):
        columns = field.columns
        rows = list(field.data or []) + [{} for _ in range(BLANK_ROWS)]
        head = "".join('<th>%s</th>' % escape(str(label)) for _key, label, _kind in columns)
        body = []
        for row in rows:
            cells = []
            for key, label, kind in columns:
                name = "%s-%s" % (field.name, key)
                value = row.get(key)
                if isinstance(value, Decimal):
                    value = "{:f}".format(value.normalize())
                value = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
                if isinstance(kind, (list, tuple)):
                    options = "".join('<option value="%s"%s>%s</option>' % (
                        escape(code), ' selected' if code == value else "", escape(str(text))) for code, text in kind)
                    cells.append('<td><select class="form-control input-sm" name="%s" aria-label="%s">%s</select></td>'
                                 % (escape(name), escape(str(label)), options))
                else:
                    cells.append('<td><input class="form-control input-sm" type="%s" name="%s" value="%s" '
                                 'aria-label="%s"%s></td>' % (
                                     "date" if kind == "date" else "text", escape(name), escape(value),
                                     escape(str(label)), ' inputmode="decimal"' if kind == "number" else ""))
            body.append("<tr>%s</tr>" % "".join(cells))
        return Markup('<input type="hidden" name="%s" value="1"><table class="table table-condensed loupan-rows" '
                      'id="%s"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>') % (
            escape(field.name), escape(field.id), Markup(head), Markup("".join(body)))


class RowsField(Field):
    """columns: [(key, label, kind)] where kind is "text", "number", "date" or a list of
    (code, label) choices (the first is the default of a new row)."""

    widget = RowsWidget()

    def __init__(self, label=None, columns=(), **kwargs):
        super().__init__(label, **kwargs)
        self._columns = columns

    @property
    def columns(self):
        return [(key, label, kind() if callable(kind) else kind) for key, label, kind in self._columns]

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        self.data = data if data is not unset_value and isinstance(data, list) else None
        if formdata is not None and self.name in formdata:
            keys = [key for key, _label, _kind in self._columns]
            values = {key: formdata.getlist("%s-%s" % (self.name, key)) for key in keys}
            count = max((len(v) for v in values.values()), default=0)
            rows = [{key: (values[key][i] if i < len(values[key]) else "") for key in keys} for i in range(count)]
            # Empty lines (and the defaults of their selects) are no rows.
            defaults = {key: (kind[0][0] if isinstance(kind, (list, tuple)) and kind else "")
                        for key, _label, kind in self.columns}
            self.data = [row for row in rows if any((row[key] or "").strip() not in ("", defaults[key])
                                                    for key in keys)]

    def populate_obj(self, obj, name):
        setattr(obj, name, self.data)
