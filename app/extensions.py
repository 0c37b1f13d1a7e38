"""Extension objects shared by every module; bound to an app in create_app()."""
from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# FAB's metadata, so that Alembic sees FAB's ab_* tables and ours together.
db = SQLA(metadata=Model.metadata)
migrate = Migrate()
csrf = CSRFProtect()


def render_migration_item(type_, obj, autogen_context):
    """Migrations spell our column types by their database type (EncryptedString is TEXT)."""
    from app.core.crypto import EncryptedString
    if type_ == "type" and isinstance(obj, EncryptedString):
        return "sa.Text()"
    return False


MIGRATE_OPTIONS = {"render_as_batch": True, "compare_type": True, "render_item": render_migration_item}
