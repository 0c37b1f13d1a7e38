"""Flask-AppBuilder's own strings that its Chinese catalogue lacks. Listed here so that
`make update-messages` keeps them in ours, where they are translated (ours is loaded after
Flask-AppBuilder's, so it wins)."""
from flask_babel import lazy_gettext as _l

FAB_STRINGS = (
    _l("List Groups"), _l("Groups"), _l("Add Group"), _l("Users"), _l("Roles"), _l("Role"),
    _l("Label"), _l("Description"), _l("Name"), _l("User"), _l("Add"), _l("Show"), _l("Edit"),
    _l("Delete"), _l("OK"), _l("Cancel"),
    _l("It's not a good policy to remove a user, just make it inactive"),
    _l("The user group on the application, this will associate with a list of roles associated with the group"),
    _l("The user's password for authentication"),
)
