"""Demo data: a realistic organisation in Chinese with one login per shipped role.
Later modules extend `load()` through register(). Production never needs any of this."""
import datetime as dt

from app.core import roles
from app.core.context import acting_as
from app.core.models import LookupValue
from app.core.services.setup import ensure_user
from app.extensions import db
from app.org.models import Department, Employee

DEMO_PASSWORD = "Loupan2026"

# username, role, employee name, employee number, department code, position, phone, id number
DEMO_LOGINS = [
    ("manager", roles.MANAGER, "陈志明", "E1002", "GZ-TH", "销售经理", "13800138002", "440106198506152312"),
    ("sales", roles.SALES, "林晓燕", "E1003", "GZ-TH", "置业顾问", "13800138003", "440104199203081228"),
    ("finance", roles.FINANCE, "黄丽萍", "E1004", "HN", "财务主管", "13800138004", "440103198811204526"),
    ("service", roles.SERVICE, "吴俊杰", "E1005", "GZ-TH", "客服专员", "13800138005", "440105199507113415"),
]

DEPARTMENTS = [
    # code, name, kind, parent code, region
    ("GROUP", "安居置业集团", "group", None, None),
    ("HN", "华南区域公司", "company", "GROUP", "华南区域"),
    ("HD", "华东区域公司", "company", "GROUP", "华东区域"),
    ("GZ-TH", "广州天河·云璟项目部", "department", "HN", "华南区域"),
    ("GZ-TH-S1", "云璟销售一组", "sales_team", "GZ-TH", "华南区域"),
    ("SZ-QH", "深圳前海·海悦项目部", "department", "HN", "华南区域"),
    ("SH-PD", "上海浦东·滨江府项目部", "department", "HD", "华东区域"),
    ("HZ-BJ", "杭州滨江·锦园销售部", "sales_team", "HD", "华东区域"),
]

OTHER_EMPLOYEES = [
    ("E1001", "王建国", "GROUP", "集团营销总监", "13800138001", "110105197503203017"),
    ("E1006", "张伟", "GZ-TH-S1", "置业顾问", "13800138006", "440111199409123011"),
    ("E1007", "刘洋", "GZ-TH-S1", "置业顾问", "13800138007", "440112199601052025"),
    ("E1008", "李娜", "SZ-QH", "销售经理", "13800138008", "440304198909141643"),
    ("E1009", "周杰", "SZ-QH", "置业顾问", "13800138009", "440305199312281918"),
    ("E1010", "赵敏", "SH-PD", "销售经理", "13900139010", "310115198704162520"),
    ("E1011", "孙浩", "SH-PD", "置业顾问", "13900139011", "310112199508250017"),
    ("E1012", "钱芳", "HZ-BJ", "置业顾问", "13900139012", "330108199711302846"),
]

_extensions = []


def register(loader):
    """A later module adds its demo data: loader() runs after the organisation exists."""
    _extensions.append(loader)
    return loader


def is_empty():
    return db.session.query(Department.id).first() is None


def load():
    with acting_as(name="demo"):
        regions = {v.name: v for v in db.session.query(LookupValue).filter_by(list_code="region")}
        depts = {}
        for order, (code, name, kind, parent, region) in enumerate(DEPARTMENTS):
            dept = Department(code=code, name=name, kind=kind, parent=depts.get(parent),
                              region=regions.get(region), sort_order=order * 10, active=True)
            db.session.add(dept)
            depts[code] = dept
        db.session.flush()
        hired = dt.date(2021, 3, 1)
        for number, name, dept, position, phone, id_number in OTHER_EMPLOYEES:
            db.session.add(Employee(number=number, name=name, department=depts[dept], position=position,
                                    phone=phone, id_number=id_number, hire_date=hired, status="active"))
        for username, role, name, number, dept, position, phone, id_number in DEMO_LOGINS:
            user, _created = ensure_user(username, name[1:], name[0], username + "@loupan.local", [role], DEMO_PASSWORD)
            db.session.add(Employee(number=number, name=name, department=depts[dept], position=position,
                                    phone=phone, id_number=id_number, hire_date=hired, status="active",
                                    user_id=user.id))
        db.session.commit()
        for loader in _extensions:
            loader()
        db.session.commit()
