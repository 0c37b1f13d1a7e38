"""Small rules every finance service uses: amounts, dates, labels, the deal in scope, settings."""
import datetime as dt
import decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock
from app.core.errors import BusinessError
from app.extensions import db
from app.finance.models import FinanceSetting
from app.sales.services import deals

D = decimal.Decimal
CENT = D("0.01")
ZERO = D("0.00")
MAX_AMOUNT = D("1e12")

KIND_LABELS = {
    "deposit": _l("Deposit"), "down_payment": _l("Down payment"), "full": _l("Full payment"),
    "instalment": _l("Instalment"), "loan": _l("Loan"), "fee": _l("Fee collected for others"),
    "late_fee": _l("Late fee"), "area": _l("Area settlement"), "other": _l("Other"),
}
METHOD_LABELS = {
    "cash": _l("Cash"), "pos": _l("POS card"), "transfer": _l("Bank transfer"), "wechat": _l("WeChat Pay"),
    "alipay": _l("Alipay"), "cheque": _l("Cheque"),
}
RECEIPT_STATUS_LABELS = {"valid": _l("Valid"), "void": _l("Void"), "reissued": _l("Reissued")}
GROUP_LABELS = {False: _l("Property price"), True: _l("Collected for others")}


def kind_label(kind):
    return str(KIND_LABELS.get(kind, kind))


def method_label(method):
    return str(METHOD_LABELS.get(method, method or ""))


def group_label(collected_for_others):
    """楼款 or 代收费用."""
    return str(GROUP_LABELS[bool(collected_for_others)])


def money(value, message=None, allow_zero=False):
    """A positive amount in yuan to the fen (¥ and thousands separators allowed); BusinessError otherwise."""
    message = message or _("Enter the amount as a number of yuan greater than 0, at most two decimals.")
    try:
        value = D(str(value).replace(",", "").replace("¥", "").replace("￥", "").strip())
    except (decimal.InvalidOperation, TypeError, ValueError):
        raise BusinessError(message)
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero) or value >= MAX_AMOUNT:
        raise BusinessError(message)
    if value != value.quantize(CENT):
        raise BusinessError(message)
    return value.quantize(CENT)


def past_date(value, what, default=None, oldest_days=3660):
    """A date that is not in the future (the office's today)."""
    today = clock.local_today()
    if value in (None, ""):
        if default is None:
            raise BusinessError(_("Enter the %(what)s as YYYY-MM-DD.", what=what))
        return default
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise BusinessError(_("Enter the %(what)s as YYYY-MM-DD.", what=what))
    if value > today:
        raise BusinessError(_("The %(what)s cannot be in the future.", what=what))
    if value < today - dt.timedelta(days=oldest_days):
        raise BusinessError(_("The %(what)s is too long ago.", what=what))
    return value


def text(value, limit=500):
    value = (str(value).strip() if value is not None else "")[:limit]
    return value or None


def visible(model, record_id, not_found):
    """The record of `model` (which has a .deal) if the id is a whole number a database integer can
    hold, the record exists and the user may see its deal; raises `not_found` (a 404) otherwise."""
    try:
        record_id = int(record_id)
    except (TypeError, ValueError):
        raise not_found
    record = db.session.get(model, record_id) if 0 < record_id < 2 ** 31 else None
    if record is None:
        raise not_found
    try:
        deals.check_deal_visible(record.deal)
    except BusinessError:
        raise not_found
    return record


def get_deal(deal_id, user=None):
    """The deal if the user may see it (finance sees every deal); NotFound otherwise."""
    return deals.get_deal(deal_id, user)


class Settings:
    """A project's finance settings, with the defaults where the project has none."""
    DEFAULTS = {"late_fee_rate": D("0.000500"), "grace_days": 0, "refund_days": 30, "area_band": D("3.00"),
                "area_over_factor": D("0.00"), "area_under_factor": D("2.00"), "area_basis": "gross",
                "cancel_interest_rate": D("0.0435"), "mortgage_stage_days": None}

    def __init__(self, row=None, project_id=None):
        self.row = row
        self.project_id = project_id if row is None else row.project_id
        for name, default in self.DEFAULTS.items():
            value = getattr(row, name, None) if row is not None else None
            setattr(self, name, default if value is None else value)


def settings_for(project_id):
    row = db.session.query(FinanceSetting).filter(FinanceSetting.project_id == project_id).one_or_none()
    return Settings(row, project_id)


def settings_by_project(project_ids):
    rows = {r.project_id: r for r in db.session.query(FinanceSetting)
            .filter(FinanceSetting.project_id.in_(list(project_ids) or [0]))}
    return {pid: Settings(rows.get(pid), pid) for pid in project_ids}
