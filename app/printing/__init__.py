"""Printing: print templates stored in the database, edited by admins with a preview, filled in
by a sandboxed template engine and turned into PDF (with an embedded Chinese font).

Other modules register their kinds of document with services.register_kind() from their own
init_app() and link to /printtemplateview/print/<kind>/<pk> (macro: printing/macros.html).
Default templates are created by services.seed_templates(), which seeding calls."""
import click
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l

PRINT_TEMPLATES = "Print templates"
PRINT_ROSTER = "Print roster"

printing_cli = AppGroup("printing", help="Print templates.")


@printing_cli.command("seed-templates")
def seed_templates_command():
    """Create the default template of every kind that has none yet (safe to re-run)."""
    from app.printing import services
    created = services.seed_templates()
    click.echo("%d print template(s) created." % len(created))


_cli_registered = False


def init_app(app, appbuilder):
    global _cli_registered
    from app import cli
    from app.core import SETTINGS, roles
    from app.org import ORG
    from app.printing import kinds, services
    from app.printing.api import PrintTemplateApi
    from app.printing.views import PrintTemplateView

    kinds.register()
    from app.core.services import setup
    setup.register_seed(services.seed_templates)
    appbuilder.add_view(PrintTemplateView, PRINT_TEMPLATES, label=_l("Print templates"), icon="fa-print",
                        category=SETTINGS)
    appbuilder.add_link(PRINT_ROSTER, label=_l("Print organisation roster"),
                        href="/printtemplateview/print/%s/" % kinds.ORG_ROSTER, icon="fa-print", category=ORG)
    appbuilder.add_api(PrintTemplateApi)
    app.jinja_env.globals["loupan_print_templates"] = services.templates_for
    if not _cli_registered:
        cli.register(printing_cli)
        _cli_registered = True

    # Admins get everything. Managers look at templates and print; every other role prints the
    # documents of its own work (each kind also demands its own permission, e.g. the roster
    # needs can_list on EmployeeView).
    prints = {"PrintTemplateView": ("can_print",)}
    roles.extend(
        permissions={
            roles.MANAGER: {"PrintTemplateView": ("can_list", "can_show", "can_preview", "can_print")},
            roles.SALES: prints,
            roles.FINANCE: prints,
            roles.SERVICE: prints,
        },
        menus={roles.MANAGER: [SETTINGS, PRINT_TEMPLATES, PRINT_ROSTER]},
    )
