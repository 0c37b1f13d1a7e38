"""The registry of print kinds: what each module can print, its sample data and placeholders.

There is one registry (_kinds) for the whole application; modules add to it from their
init_app() with register_kind().
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from app.printing.models import PAPERS


class NotFound(LookupError):
    """The kind, template or record to print does not exist (or may not be seen): a 404."""


@dataclass
class PrintKind:
    code: str
    label: object
    sample_context: object
    placeholders: list
    record_context: object = None
    record_choices: object = None
    permission: tuple = None
    default_template: dict = None
    record_label: object = None
    extra: dict = field(default_factory=dict)

    def __str__(self):
        return str(self.label)


_kinds = {}


def register_kind(code, label, sample_context_fn, placeholders, *, record_context=None,
                  record_choices=None, record_label=None, permission=None, default_template=None, **extra):
    """Declare a kind of printed document.

    code: stable string stored in print_template.kind ("subscription_letter", "receipt" ...).
    label: lazy_gettext label shown to users.
    sample_context_fn(): a dict of made-up data with the same shape as a real record's, used by
        the preview and to check a template when it is saved.
    placeholders: [(expression, description)] or {expression: description}, shown to admins.
    record_context(pk): the context of a real record, or None when it does not exist or the
        current user may not see it (answers 404).
    record_choices(): optional [(pk, label)] of records for the "choose and print" page, whose
        select is labelled record_label (e.g. _l("Department")).
    permission: optional (permission, view) a user needs, besides can_print, to print a record.
    default_template: optional {"name", "html", "paper", "description"} seeded by seed_templates().
    """
    if isinstance(placeholders, dict):
        placeholders = list(placeholders.items())
    if default_template is not None and default_template.get("paper", "a4") not in PAPERS:
        raise ValueError("unknown paper %r" % default_template.get("paper"))
    kind = PrintKind(code, label, sample_context_fn, list(placeholders or []), record_context,
                     record_choices, tuple(permission) if permission else None, default_template,
                     record_label, extra)
    _kinds[code] = kind
    return kind


def get_kind(code):
    return _kinds.get(code)


def require_kind(code):
    kind = _kinds.get(code)
    if kind is None:
        raise NotFound(code)
    return kind


def kinds():
    """Registered kinds, sorted by label in the current language."""
    return sorted(_kinds.values(), key=lambda k: str(k.label))


def kind_label(code):
    kind = _kinds.get(code)
    return str(kind.label) if kind else code


# Placeholders every kind gets, and the filters; shown on the editing page.
COMMON_PLACEHOLDERS = (
    ("today", _l("Today's date (use |date or |date_cn)")),
    ("now", _l("The date and time of printing")),
    ("printed_by", _l("Name of the user who prints")),
)
FILTER_HELP = (
    ("{{ amount|money }}", "¥1,234,567.00"),
    ("{{ amount|money('') }}", "1,234,567.00"),
    ("{{ area|area }}", "89.50㎡"),
    ("{{ day|date }}", "2026-11-26"),
    ("{{ day|date('%Y/%m/%d') }}", "2026/11/26"),
    ("{{ day|date_cn }}", "2026年11月26日"),
    ("{{ amount|amount_in_words }}", "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"),
)
