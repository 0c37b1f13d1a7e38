"""The building, unit, layout and property type choices of the room form: the building shows its
project, the unit list follows the chosen building, the layouts and property types its project
(the server checks them again in services.check_room)."""
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms.validators import DataRequired

from app.extensions import db
from app.inventory.models import Building, Layout, Project, PropertyType, Unit
from app.inventory.views.choices import project_label

# Keeps only the units of the chosen building, and the layouts and property types of its project
# (selects marked data-follow="building" or "project"); runs once the page (jQuery/select2) is ready.
FOLLOW_SCRIPT = Markup("""<script>
document.addEventListener("DOMContentLoaded", function () {
  var building = document.getElementById("building");
  if (!building) { return; }
  var followers = Array.prototype.map.call(document.querySelectorAll("select[data-follow]"), function (select) {
    return {select: select, by: select.getAttribute("data-follow"), all: Array.prototype.slice.call(select.options)};
  });
  function follow() {
    var chosen = building.options[building.selectedIndex];
    var keys = {building: building.value, project: (chosen && chosen.getAttribute("data-project")) || ""};
    followers.forEach(function (f) {
      var select = f.select, value = select.value, keep = false, blank = false;
      while (select.options.length) { select.remove(0); }
      f.all.forEach(function (o) {
        var own = o.getAttribute("data-" + f.by);
        if (!own || own === keys[f.by]) {
          select.add(o);
          if (o.value === value) { keep = true; }
          if (o.value === "__None") { blank = true; }
        }
      });
      select.value = keep ? value : (blank ? "__None" : (select.options.length ? select.options[0].value : ""));
      if (window.jQuery) { window.jQuery(select).trigger("change"); }
    });
  }
  building.addEventListener("change", follow);
  if (window.jQuery) { window.jQuery(building).on("change", follow); }
  follow();
});
</script>""")


class FollowSelectWidget(Select2Widget):
    """A select2 box whose options carry data-<attribute> (the building or project of each
    choice). `follow` marks the select for the script above; `script` appends the script."""

    def __init__(self, attribute, key, follow=None, script=False, **kwargs):
        super().__init__(**kwargs)
        self.attribute, self.key, self.follow, self.script = attribute, key, follow, script

    def __call__(self, field, **kwargs):
        keys = {pk: self.key(obj) for pk, obj in field._get_object_list()}
        original = field.iter_choices

        def choices():
            for value, label, selected, render_kw in original():
                render_kw = dict(render_kw or {})
                if value in keys:
                    render_kw["data-" + self.attribute] = keys[value]
                yield value, label, selected, render_kw

        field.iter_choices = choices
        if self.follow:
            kwargs["data-follow"] = self.follow
        try:
            html = super().__call__(field, **kwargs)
        finally:
            del field.iter_choices
        return html + FOLLOW_SCRIPT if self.script else html


def _buildings():
    return (db.session.query(Building).join(Project, Building.project_id == Project.id)
            .order_by(Project.code, Building.sort_order, Building.id))


def _units():
    return (db.session.query(Unit).join(Building, Unit.building_id == Building.id)
            .order_by(Building.project_id, Building.sort_order, Building.id, Unit.sort_order, Unit.id))


def building_field():
    return QuerySelectField(_l("Building"), query_func=_buildings, get_pk_func=lambda b: b.id,
                            get_label=project_label,
                            widget=FollowSelectWidget("project", lambda b: b.project_id, script=True),
                            validators=[DataRequired()])


def unit_field():
    return QuerySelectField(_l("Unit"), query_func=_units, get_pk_func=lambda u: u.id,
                            get_label=lambda u: u.name, allow_blank=True,
                            widget=FollowSelectWidget("building", lambda u: u.building_id, follow="building"))


def _layouts():
    return (db.session.query(Layout).join(Project, Layout.project_id == Project.id)
            .order_by(Project.code, Layout.name, Layout.id))


def _property_types():
    return (db.session.query(PropertyType).join(Project, PropertyType.project_id == Project.id)
            .order_by(Project.code, PropertyType.sort_order, PropertyType.id))


def layout_field():
    return QuerySelectField(_l("Layout"), query_func=_layouts, get_pk_func=lambda x: x.id,
                            get_label=lambda x: x.name, allow_blank=True,
                            widget=FollowSelectWidget("project", lambda x: x.project_id, follow="project"))


def property_type_field():
    return QuerySelectField(_l("Property type"), query_func=_property_types, get_pk_func=lambda x: x.id,
                            get_label=lambda x: x.name, allow_blank=True, validators=[DataRequired()],
                            widget=FollowSelectWidget("project", lambda x: x.project_id, follow="project"))
