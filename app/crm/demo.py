"""Demo customers: a few hundred people with valid phones and ID numbers, owned by the demo
salespeople, with visits, opportunities and follow-ups (some overdue) on the demo projects.
Inserted in bulk (no per-row flush): the tests load the demo once per session."""
import datetime as dt
import random

import sqlalchemy as sa

from app.core import clock, roles
from app.core.crypto import blind_index
from app.core.models import LookupValue
from app.core.services.setup import ensure_user
from app.crm.models import Customer, FollowUp, Opportunity, Visit
from app.crm.services.validation import id_check_code
from app.extensions import db
from app.inventory.models import Project
from app.org.models import Employee

CUSTOMERS = 320
# A second salesperson with a login, in the same office as `sales`: the colleague who must
# not see 林晓燕's customers.
COLLEAGUE = ("sales2", "E1006")
# employee number -> project code
OWNERS = {"E1003": "GZ-YJ", "E1006": "GZ-YJ", "E1009": "SZ-HY", "E1011": "SH-PJHT",
          "E1012": "HZ-JY"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建华", "文", "华", "志强", "俊", "晓东", "海燕", "子涵", "浩然", "雨桐",
         "梓萱", "宇轩", "欣怡", "思远", "嘉怡", "博文", "一诺"]
AREA_CODES = {"GZ-YJ": "440106", "SZ-HY": "440305", "SH-PJHT": "310115", "HZ-JY": "330108"}
ADDRESSES = {"GZ-YJ": "广州市天河区", "SZ-HY": "深圳市南山区", "SH-PJHT": "上海市浦东新区", "HZ-JY": "杭州市滨江区"}
LAYOUTS = ["两室一厅", "三室两厅", "三室两厅两卫", "四室两厅", "复式"]
STAGES = [("potential", 25), ("intent", 30), ("reserved", 10), ("subscribed", 10), ("signed", 8), ("won", 5),
          ("lost", 12)]
CONTENTS = ["电话回访，客户对三房户型感兴趣，约周末来看样板间", "客户带家人到访，关注学区和交房时间",
            "微信发送最新价目表，客户表示要考虑首付", "客户询问按揭政策和首付比例", "邀请客户参加周末暖场活动",
            "客户比较了竞品项目，对价格有顾虑", "上门拜访，客户确认预算在300万左右"]


def id_number(area, birth, seq):
    first17 = "%s%s%03d" % (area, birth.strftime("%Y%m%d"), seq)
    return first17 + id_check_code(first17)


def _colleague_login():
    username, number = COLLEAGUE
    employee = db.session.query(Employee).filter_by(number=number).one()
    from app.demo import DEMO_PASSWORD
    user, _created = ensure_user(username, employee.name[1:], employee.name[0], username + "@loupan.local",
                                 [roles.SALES], DEMO_PASSWORD)
    # A plain UPDATE: demo data is not a change anyone made (the audit log stays empty of it).
    db.session.execute(Employee.__table__.update().where(Employee.id == employee.id).values(user_id=user.id))
    db.session.expire(employee)


def load():
    _colleague_login()
    rnd = random.Random(4)
    today = clock.local_today()
    now = dt.datetime.combine(today, dt.time(10, 0))
    employees = {e.number: e for e in db.session.query(Employee).filter(Employee.number.in_(OWNERS))}
    projects = {p.code: p for p in db.session.query(Project).filter(Project.code.in_(set(OWNERS.values())))}
    owners = [n for n in OWNERS if n in employees and OWNERS[n] in projects]
    if not owners:
        return
    lookups = {}
    for value in db.session.query(LookupValue):
        lookups.setdefault(value.list_code, []).append(value)
    pick = lambda code: rnd.choice(lookups[code]).id if lookups.get(code) else None  # noqa: E731

    customers, phones = [], set()
    for i in range(CUSTOMERS):
        owner = owners[i % len(owners)]
        project_code = OWNERS[owner]
        while True:
            phone = "1%s%08d" % (rnd.choice(["35", "36", "37", "39", "50", "58", "86", "88"]), rnd.randrange(10 ** 8))
            if phone not in phones:
                phones.add(phone)
                break
        gender = rnd.choice(["male", "female"])
        birth = dt.date(rnd.randint(1960, 2000), rnd.randint(1, 12), rnd.randint(1, 28))
        number = id_number(AREA_CODES[project_code], birth, rnd.randint(0, 499) * 2 + (1 if gender == "male" else 0))
        created = now - dt.timedelta(days=rnd.randint(3, 120))
        customers.append({
            "kind": "person", "name": rnd.choice(SURNAMES) + rnd.choice(GIVEN), "phone": phone,
            "phone_hash": blind_index(phone), "id_type": "id_card", "id_number": number,
            "id_number_hash": blind_index(number), "gender": gender, "age_band_id": pick("age_band"),
            "address": ADDRESSES[project_code] + "%d号" % rnd.randint(1, 999), "region_id": pick("region"),
            "occupation_id": pick("occupation"), "family_id": pick("family_structure"),
            "source_id": pick("visit_channel"), "level_id": pick("customer_level"), "tags": None, "notes": None,
            "owner_id": employees[owner].id, "created_at": created, "custom": None,
            "_project": projects[project_code].id, "_owner": employees[owner],
        })
    db.session.execute(Customer.__table__.insert(),
                       [{k: v for k, v in c.items() if not k.startswith("_")} for c in customers])
    ids = db.session.execute(sa.select(Customer.id).order_by(Customer.id.desc()).limit(len(customers))).scalars().all()
    for customer, pk in zip(customers, sorted(ids)):
        customer["id"] = pk

    visits, opportunities, follow_ups = [], [], []
    sales = employees.get("E1003")
    for i, c in enumerate(customers):
        owner = c["_owner"]
        for n in range(rnd.choice([1, 1, 2, 3])):
            visits.append({
                "customer_id": c["id"], "project_id": c["_project"], "kind": "visit" if n or rnd.random() < .7 else "call",
                "channel_id": c["source_id"], "visited_at": c["created_at"] + dt.timedelta(days=n * 7),
                "is_first": n == 0, "received_by_id": owner.id, "layout_wanted": rnd.choice(LAYOUTS),
                "area_min": 80 + 10 * rnd.randint(0, 4), "area_max": 120 + 10 * rnd.randint(0, 4),
                "budget_min": 1500000 + 100000 * rnd.randint(0, 10), "budget_max": 3000000 + 100000 * rnd.randint(0, 10),
                "floors_wanted": rnd.choice(["10-20", "15层以上", "不限", None]), "notes": None,
                "registered_by_id": None})
        if i % 10 < 7:
            stage = rnd.choices([s for s, _w in STAGES], [w for _s, w in STAGES])[0]
            opportunities.append({
                "customer_id": c["id"], "project_id": c["_project"], "owner_id": owner.id,
                "grade_id": pick("opportunity_grade"), "stage": stage,
                "chance": {"potential": 10, "intent": 30, "reserved": 60, "subscribed": 80, "signed": 95,
                           "won": 100, "lost": 0}[stage],
                "lost_reason_id": pick("lost_reason") if stage == "lost" else None, "notes": None,
                "created_at": c["created_at"]})
        count = rnd.choice([1, 2, 2, 3])
        for n in range(count):
            last = n == count - 1
            if last:
                # Some overdue, some due today, most later; 林晓燕 always has a few of each.
                offset = rnd.choice([-9, -4, -2, 0, 2, 5, 9, 14]) if owner is not sales else [-6, -3, 0, 3, 7, 10][(i // len(owners)) % 6]
                next_date = today + dt.timedelta(days=offset)
            else:
                next_date = None
            follow_ups.append({
                "customer_id": c["id"], "opportunity_id": None, "contact_type": rnd.choice(
                    ["visit", "call", "message", "wechat", "home_visit"]),
                "content": rnd.choice(CONTENTS), "employee_id": owner.id,
                "followed_at": min(c["created_at"] + dt.timedelta(days=n * 5 + 1), now - dt.timedelta(days=count - n)),
                "next_date": next_date, "open": last, "reminded_on": None})
    db.session.execute(Visit.__table__.insert(), visits)
    db.session.execute(Opportunity.__table__.insert(), opportunities)
    db.session.execute(FollowUp.__table__.insert(), follow_ups)
    db.session.flush()
