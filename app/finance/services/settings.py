"""Each project's finance settings (FinanceSetting, one row per project): the late-fee daily rate
and grace days, refund days, the area-settlement band, factors and basis, the cancellation
interest rate and the days each mortgage stage may take. check() refuses bad values with a
clear message; the screen calls it before saving."""
import decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.errors import BusinessError
from app.extensions import db
from app.finance.models import FinanceSetting
from app.finance.services.common import D

MAX_DAILY_RATE = D("0.01")   # 1% a day
MAX_BAND = D("10")
MAX_FACTOR = D("5")
MAX_YEARLY_RATE = D("1")
MAX_DAYS = 3650
AREA_BASES = {"gross": _l("Gross area"), "inner": _l("Inner area")}
# The stages a mortgage case passes before the disbursement, and their default days.
MORTGAGE_STAGE_LABELS = {"collecting": _l("Collecting documents"), "submitted": _l("Submitted to the bank"),
                         "approved": _l("Approved by the bank"), "registered": _l("Mortgage registered")}
DEFAULT_STAGE_DAYS = {"collecting": 15, "submitted": 20, "approved": 15, "registered": 20}


def percent(value, places=2):
    """0.000500 → "0.05%"."""
    if value is None:
        return ""
    shown = (D(value) * 100).quantize(D(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)
    return "%s%%" % shown


def _number(value, what):
    try:
        value = D(str(value).strip()) if value is not None and str(value).strip() != "" else None
    except decimal.InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise BusinessError(_("Enter the %(what)s as a number.", what=what))
    return value


def _days(value, what):
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise BusinessError(_("Enter the %(what)s as a whole number of days, 0 or more.", what=what))
    if value < 0 or value > MAX_DAYS:
        raise BusinessError(_("Enter the %(what)s as a whole number of days, 0 or more.", what=what))
    return value


def check(setting, stage_days=None):
    """Refuse bad values (BusinessError, nothing changed); normalise the good ones in place.
    stage_days: {stage: days} typed on the form (None: keep the row's)."""
    if setting.project_id is None and getattr(setting, "project", None) is None:
        raise BusinessError(_("Choose the project."))
    project_id = setting.project_id or setting.project.id
    other = db.session.query(FinanceSetting.id).filter(FinanceSetting.project_id == project_id,
                                                       FinanceSetting.id != (setting.id or 0)).first()
    if other is not None:
        raise BusinessError(_("This project has its finance settings already; edit them instead."))
    rate = _number(setting.late_fee_rate, _("late-fee daily rate"))
    if rate < 0 or rate > MAX_DAILY_RATE:
        raise BusinessError(_("The late-fee daily rate must be between 0 and 0.01 (%(max)s a day); 0.0005 is "
                              "%(example)s a day.", max="1%", example="0.05%"))
    if rate != rate.quantize(D("0.000001")):
        raise BusinessError(_("The late-fee daily rate has at most six decimals (0.000500 is %(example)s a day).",
                                example="0.05%"))
    setting.late_fee_rate = rate
    setting.grace_days = _days(setting.grace_days, _("grace days"))
    setting.refund_days = _days(setting.refund_days, _("refund days"))
    band = _number(setting.area_band, _("area band"))
    if band < 0 or band > MAX_BAND:
        raise BusinessError(_("The area band is a percentage between 0 and 10 (3 for ±%(example)s).", example="3%"))
    setting.area_band = band.quantize(D("0.01"))
    for name, what in (("area_over_factor", _("factor beyond the band (gain)")),
                       ("area_under_factor", _("factor beyond the band (loss)"))):
        factor = _number(getattr(setting, name), what)
        if factor < 0 or factor > MAX_FACTOR:
            raise BusinessError(_("The %(what)s must be between 0 and 5.", what=what))
        setattr(setting, name, factor.quantize(D("0.01")))
    if setting.area_basis not in AREA_BASES:
        raise BusinessError(_("Choose the area the contract prices: gross or inner."))
    interest = _number(setting.cancel_interest_rate, _("cancellation interest rate"))
    if interest < 0 or interest > MAX_YEARLY_RATE:
        raise BusinessError(_("The cancellation interest rate is a yearly rate between 0 and 1 (0.0435 is "
                              "%(example)s a year).", example="4.35%"))
    setting.cancel_interest_rate = interest.quantize(D("0.0001"))
    if stage_days is not None:
        days = {}
        for stage, value in stage_days.items():
            if stage not in MORTGAGE_STAGE_LABELS:
                continue
            if value in (None, ""):
                continue
            days[stage] = _days(value, str(MORTGAGE_STAGE_LABELS[stage]))
        setting.mortgage_stage_days = days or None
    return setting


def stage_days_of(setting):
    """{stage: days} with the defaults where the row has none."""
    days = dict(DEFAULT_STAGE_DAYS)
    days.update((k, v) for k, v in (getattr(setting, "mortgage_stage_days", None) or {}).items()
                if k in DEFAULT_STAGE_DAYS and isinstance(v, int))
    return days


def save(project_id, **values):
    """Create or change a project's settings (for scripts and tests); commits."""
    row = db.session.query(FinanceSetting).filter(FinanceSetting.project_id == project_id).one_or_none()
    if row is None:
        row = FinanceSetting(project_id=project_id, late_fee_rate=D("0.000500"), grace_days=0, refund_days=30,
                             area_band=D("3"), area_over_factor=D("0"), area_under_factor=D("2"),
                             area_basis="gross", cancel_interest_rate=D("0.0435"))
    stage_days = values.pop("mortgage_stage_days", None)
    for name, value in values.items():
        setattr(row, name, value)
    try:
        with db.session.no_autoflush:
            check(row, stage_days)
    except BusinessError:
        db.session.rollback()
        raise
    db.session.add(row)
    db.session.commit()
    return row
