from flask import g
from flask_appbuilder import IndexView, expose

from app.core import home


class HomeView(IndexView):
    """The start page: what needs the user's attention (modules add their panels)."""

    route_base = ""
    index_template = "core/home.html"

    @expose("/")
    def index(self):
        panels = home.panels_for(g.user) if g.user is not None and g.user.is_authenticated else []
        return self.render_template(self.index_template, panels=panels)
