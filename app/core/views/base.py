"""Base classes for Loupan's CRUD screens and REST resources: business rules raise
BusinessError in services; these classes turn it into a message and change nothing."""
import io
from datetime import date

from flask import abort, has_request_context, request, send_file
from flask_appbuilder import ModelRestApi, ModelView, expose, has_access
from flask_appbuilder.urltools import get_filter_args
from flask_appbuilder.widgets import ListWidget

from wtforms import BooleanField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired

from app.core import display, excel

from app.core.errors import BusinessError
from app.extensions import db


MAX_ID = 2 ** 31 - 1


def record_ids(values):
    """Record ids from request values (list checkboxes, a comma-separated field): whole numbers
    that a database integer can hold, in the order given; anything else names no record."""
    ids = []
    for value in values:
        value = (value or "").strip()
        if value.isdigit() and int(value) <= MAX_ID:
            ids.append(int(value))
    return ids


class RowLinksListWidget(ListWidget):
    """A list whose rows carry the buttons other modules add (see add_row_link_provider)."""

    template = "core/list_rows.html"


class LoupanModelView(ModelView):
    """A FAB CRUD screen whose before_* hooks call services; a refusal rolls back and
    shows the service's message. The detail page links to the record's change history."""

    show_template = "core/show.html"
    list_template = "core/list.html"
    page_size = 20
    # Set True to offer "Export to Excel" of the filtered list (permission can_export).
    export_enabled = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = self.datamodel.obj
        if getattr(model, "__audited__", False):
            self.extra_args = dict(self.extra_args or {}, audit_table=model.__tablename__)
        # Empty values, yes/no and dates read the same on every screen unless a view says otherwise.
        formatters = self.formatters_columns
        for column in set(self.list_columns or []) | set(self.show_columns or []):
            formatters.setdefault(column, display.plain)

    # Other modules add buttons to a page's detail view: provide(view, pk) -> [(label, url, icon)].
    link_providers = ()

    @classmethod
    def add_link_provider(cls, provide):
        """Once per page class, however many apps a process builds."""
        own = tuple(cls.__dict__.get("link_providers", ()))
        if provide not in own:
            cls.link_providers = own + (provide,)

    def detail_links(self, pk):
        """Buttons on a record's detail page: [(label, url, icon)], already permission-checked."""
        return [link for provide in self.link_providers for link in provide(self, pk)]

    # Other modules add buttons to each row of a page's list: provide(view, pks) -> a function
    # pk -> [(label, url, icon, css class)], permission-checked once per page (not per row).
    row_link_providers = ()

    @classmethod
    def add_row_link_provider(cls, provide):
        own = tuple(cls.__dict__.get("row_link_providers", ()))
        if provide not in own:
            cls.row_link_providers = own + (provide,)
            cls.list_widget = RowLinksListWidget

    def _get_list_widget(self, *args, **kwargs):
        widgets = super()._get_list_widget(*args, **kwargs)
        if self.row_link_providers:
            widget = widgets["list"]
            pks = widget.template_args.get("pks") or []
            makers = [provide(self, pks) for provide in self.row_link_providers]
            widget.template_args["row_links"] = {
                pk: [link for make in makers if make for link in make(pk)] for pk in pks}
        return widgets

    def list_links(self):
        """Buttons above the list (e.g. acting on the filtered rows): [(label, url, icon)], permission-checked."""
        return []

    def _init_forms(self):
        super()._init_forms()
        # FAB makes a non-nullable Boolean column a required checkbox, so "no" could never be
        # saved; a checkbox is always answered.
        for form in (self.add_form, self.edit_form):
            for name in dir(form):
                field = getattr(form, name, None)
                if isinstance(field, UnboundField) and issubclass(field.field_class, BooleanField):
                    field.kwargs["validators"] = [
                        v for v in field.kwargs.get("validators") or []
                        if not isinstance(v, (DataRequired, InputRequired))
                    ]

    def template_context(self):
        context = {
            "may_see_history": self.appbuilder.sm.has_access("can_history", "AuditLogView"),
            "detail_links": self.detail_links,
            "list_links": self.list_links,
        }
        if self.export_enabled and self.appbuilder.sm.has_access("can_export", self.class_permission_name):
            context["export_endpoint"] = self.__class__.__name__ + ".export"
        return context

    def render_template(self, template, **kwargs):
        if has_request_context():
            kwargs = dict(self.template_context(), **kwargs)
        return super().render_template(template, **kwargs)

    @expose("/export/")
    @has_access
    def export(self):
        """The list as filtered on the page, with its columns and custom fields, as .xlsx."""
        if not self.export_enabled:
            abort(404)
        get_filter_args(self._filters)
        order_column, order_direction = self.base_order or ("", "")
        _count, items = self.datamodel.query(
            self._filters.get_joined_filters(self._base_filters),
            order_column, order_direction,
        )
        columns = [c for c in self.list_columns]
        labels = self.label_columns
        formatters = self.formatters_columns or {}
        rows = []
        for item in items:
            row = []
            for col in columns:
                value = getattr(item, col, None)
                if callable(value):
                    value = value()
                if col in formatters:
                    value = formatters[col](value)
                row.append(value)
            rows.append(row)
        data = excel.workbook_bytes(
            str(self.list_title or ""), [str(labels.get(c, c)) for c in columns], rows
        )
        filename = "%s-%s.xlsx" % (self.datamodel.obj.__tablename__, date.today().isoformat())
        return send_file(io.BytesIO(data), as_attachment=True, download_name=filename,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    def selected_items(self, pks):
        """The records behind list checkboxes (or one detail page), in one query and within the
        view's base filters: Flask-AppBuilder's own actions load one row per id and ignore them."""
        column = getattr(self.datamodel.obj, self.datamodel.get_pk_name())
        ids = []
        for pk in pks:
            try:
                ids.append(column.type.python_type(pk))
            except (TypeError, ValueError, NotImplementedError):
                continue  # an id that cannot exist selects nothing
        if not ids:
            return []
        query = self._base_filters.apply_all(self.datamodel.session.query(self.datamodel.obj).filter(column.in_(ids)))
        found = {getattr(item, column.key): item for item in query}
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        if name not in self.actions:
            abort(404)
        allowed = self.appbuilder.sm.has_access(self.get_action_permission_name(name), self.class_permission_name)
        if not allowed or not self.is_get_mutation_allowed():
            return super().action(name, pk)  # Flask-AppBuilder's own refusal
        items = self.selected_items([pk])
        if not items:
            abort(404)
        return self.actions[name].func(items[0])

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        name = request.form.get("action")
        if name not in self.actions:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name), self.class_permission_name):
            return super().action_post()
        return self.actions[name].func(self.selected_items(request.form.getlist("rowid")))

    # Subclasses override these; they raise BusinessError to refuse.
    def before_add(self, item):
        pass

    def before_update(self, item):
        pass

    def before_delete(self, item):
        pass

    def _guard(self, hook, item):
        try:
            # The item is not in the session yet (add) or half-changed (edit): no autoflush.
            with db.session.no_autoflush:
                hook(item)
        except BusinessError:
            db.session.rollback()
            raise

    def pre_add(self, item):
        self._guard(self.before_add, item)

    def pre_update(self, item):
        self._guard(self.before_update, item)

    def pre_delete(self, item):
        self._guard(self.before_delete, item)


class LoupanReadOnlyView(LoupanModelView):
    base_permissions = ["can_list", "can_show"]


def page_permissions(view_class):
    """The permissions FAB gives a page class when it is registered (BaseView and BaseCRUDView
    __init__): its declared base_permissions, or one per @has_access method when it declares
    none, plus its actions. A resource sharing the page's permission name must register exactly
    these, or each start-up tries to delete the other's (can_export, can_download …)."""
    names = view_class.method_permission_name or {}
    declared = view_class.base_permissions
    permissions = list(declared) if declared is not None else []
    for attr in dir(view_class):
        func = getattr(view_class, attr, None)
        if declared is None and hasattr(func, "_permission_name"):
            if view_class.include_route_methods is not None and attr not in view_class.include_route_methods:
                continue
            if attr in (view_class.exclude_route_methods or ()):
                continue
            permission = "can_" + (names.get(attr) or func._permission_name)
        elif hasattr(func, "_action"):
            permission = "can_" + names[attr] if names.get(attr) else func._action[0]
        else:
            continue
        if permission not in permissions:
            permissions.append(permission)
    return permissions


class LoupanModelRestApi(ModelRestApi):
    """FAB's REST resource with the same before_* hooks; a refusal answers 422 with the
    message in the user's language. The pages' own JavaScript may call it with the session."""

    allow_browser_login = True
    page_size = 20
    max_page_size = 200
    # The page whose permissions this resource shares (list→GET list, show→GET one, ...).
    permissions_of = None
    method_permission_name = {"get_list": "list", "get": "show", "post": "add", "put": "edit",
                              "delete": "delete", "info": "list"}

    def __init__(self):
        if self.permissions_of is not None:
            self.class_permission_name = self.permissions_of.__name__
            # Same permission set as the page, so that neither removes the other's grants.
            self.base_permissions = page_permissions(self.permissions_of)
        super().__init__()

    # By default a resource applies the same rules as its page (permissions_of).
    def before_add(self, item):
        if self.permissions_of is not None:
            self.permissions_of.before_add(self, item)

    def before_update(self, item):
        if self.permissions_of is not None:
            self.permissions_of.before_update(self, item)

    def before_delete(self, item):
        if self.permissions_of is not None:
            self.permissions_of.before_delete(self, item)

    def pre_add(self, item):
        self.before_add(item)

    def pre_update(self, item):
        self.before_update(item)

    def pre_delete(self, item):
        self.before_delete(item)

    def _refusable(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except BusinessError as e:
            db.session.rollback()
            return self.response_422(message=str(e))

    def post_headless(self):
        return self._refusable(super().post_headless)

    def put_headless(self, pk):
        return self._refusable(super().put_headless, pk)

    def delete_headless(self, pk):
        return self._refusable(super().delete_headless, pk)
