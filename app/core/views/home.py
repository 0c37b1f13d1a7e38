from flask import g
from flask_appbuilder import IndexView, expose

from app.core import home


class HomeView(IndexView):
    """The start page: the dashboard (for those who may see it), then what needs the user's
    attention (modules add their panels)."""

    route_base = ""
    index_template = "core/home.html"

    @expose("/")
    def index(self):
        logged_in = g.user is not None and g.user.is_authenticated
        dashboards = home.dashboard_for(g.user) if logged_in else []
        panels = home.panels_for(g.user) if logged_in else []
        return self.render_template(self.index_template, panels=panels, dashboards=dashboards)
