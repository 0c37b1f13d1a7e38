"""Demo customers: about 3,000 people with valid phones and ID numbers, owned by the six demo
salespeople, with visits, opportunities and follow-ups on the demo projects; every salesperson
has follow-ups overdue, due today and planned. Inserted in bulk (one statement per table, no
per-row flush): the tests load the demo once per session.

Each salesperson's customers are numbered newest first, so that the first one of them (lowest
id) is the one at the top of their customer list."""
import datetime as dt
import json
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

CUSTOMERS = 3000
# A second salesperson with a login, in the same office as `sales`: the colleague who must
# not see 林晓燕's customers.
COLLEAGUE = ("sales2", "E1006")
# The demo salespeople (employee number -> the project they sell); customers are shared out
# in turn, so each owns CUSTOMERS / 6 of them.
OWNERS = {"E1003": "GZ-YJ", "E1006": "GZ-YJ", "E1007": "GZ-YJ", "E1009": "SZ-HY", "E1011": "SH-PJHT",
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
CHANCES = {"potential": 10, "intent": 30, "reserved": 60, "subscribed": 80, "signed": 95, "won": 100, "lost": 0}
CONTENTS = ["电话回访，客户对三房户型感兴趣，约周末来看样板间", "客户带家人到访，关注学区和交房时间",
            "微信发送最新价目表，客户表示要考虑首付", "客户询问按揭政策和首付比例", "邀请客户参加周末暖场活动",
            "客户比较了竞品项目，对价格有顾虑", "上门拜访，客户确认预算在300万左右"]
# The next follow-up date of each salesperson's customers in turn, in days from today (None:
# nothing planned): 3 in 25 overdue, 1 in 25 due today, the rest later or closed.
NEXT_DAYS = [3, -6, 7, None, 10, 0, 14, 5, -2, 21, None, 2, 9, 30, 12, -11, 4, None, 18, 6, 8, 25, None, 1, 15]
DAYS_BACK = 180  # customers were registered over the last half year


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


def _unique(seen, make):
    """make() until it gives a value not in `seen` (then added to it)."""
    while True:
        value = make()
        if value not in seen:
            seen.add(value)
            return value


def _name(rnd, staff_names):
    while True:
        name = rnd.choice(SURNAMES) + rnd.choice(GIVEN)
        if name not in staff_names:
            return name


def _insert(table, rows):
    """Many rows in one go, as `table.insert()` would write them (column types' conversions,
    Python-side defaults): COPY on PostgreSQL (an executemany there costs 40 µs a row), one
    executemany elsewhere."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql" or not rows:
        if rows:
            connection.execute(table.insert(), rows)
        return
    given = list(rows[0])
    defaults = {c.name: c.default for c in table.columns
                if c.name not in given and c.default is not None and (c.default.is_scalar or c.default.is_callable)}
    columns = given + list(defaults)
    convert = {}
    for name in columns:
        kind = table.c[name].type
        if isinstance(kind, sa.JSON):
            convert[name] = lambda v: None if v is None else json.dumps(v, ensure_ascii=False)
        elif isinstance(kind, sa.types.TypeDecorator):
            convert[name] = lambda v, kind=kind: kind.process_bind_param(v, connection.dialect)
    statement = 'COPY "%s" (%s) FROM STDIN' % (table.name, ", ".join('"%s"' % c for c in columns))
    with connection.connection.dbapi_connection.cursor() as cursor:
        connection.dispatch.before_cursor_execute(connection, cursor, statement, (), None, False)
        with cursor.copy(statement) as copy:
            for row in rows:
                values = dict(row)
                for name, default in defaults.items():
                    values[name] = default.arg if default.is_scalar else default.arg(None)
                copy.write_row([convert[c](values[c]) if c in convert else values[c] for c in columns])


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
    # A customer never bears the name of someone on the staff (the pages show both).
    staff_names = set(db.session.execute(sa.select(Employee.name)).scalars())

    customers, phones, id_numbers = [], set(), set()
    for i in range(CUSTOMERS):
        owner = owners[i % len(owners)]
        project_code = OWNERS[owner]
        phone = _unique(phones, lambda: "1%s%08d" % (rnd.choice(["35", "36", "37", "39", "50", "58", "86", "88"]),
                                                          rnd.randrange(10 ** 8)))
        gender = rnd.choice(["male", "female"])
        birth = dt.date(rnd.randint(1960, 2000), rnd.randint(1, 12), rnd.randint(1, 28))
        number = _unique(id_numbers, lambda: id_number(
            AREA_CODES[project_code], birth, rnd.randint(0, 499) * 2 + (1 if gender == "male" else 0)))
        name = _name(rnd, staff_names)
        # Newest first: the i-th customer came in about i * DAYS_BACK / CUSTOMERS days ago.
        created = now - dt.timedelta(days=1 + i * DAYS_BACK // CUSTOMERS, hours=rnd.randint(0, 9),
                                     minutes=rnd.randint(0, 59))
        customers.append({
            "kind": "person", "name": name, "phone": phone,
            "phone_hash": blind_index(phone), "id_type": "id_card", "id_number": number,
            "id_number_hash": blind_index(number), "gender": gender, "age_band_id": pick("age_band"),
            "address": ADDRESSES[project_code] + "%d号" % rnd.randint(1, 999), "region_id": pick("region"),
            "occupation_id": pick("occupation"), "family_id": pick("family_structure"),
            "source_id": pick("visit_channel"), "level_id": pick("customer_level"), "tags": None, "notes": None,
            "owner_id": employees[owner].id, "created_at": created, "custom": None,
            "_project": projects[project_code].id, "_owner": employees[owner], "_nth": i // len(owners),
        })
    _insert(Customer.__table__, [{k: v for k, v in c.items() if not k.startswith("_")} for c in customers])
    ids = db.session.execute(sa.select(Customer.id).order_by(Customer.id.desc()).limit(len(customers))).scalars().all()
    for customer, pk in zip(customers, sorted(ids)):
        customer["id"] = pk

    visits, opportunities, follow_ups = [], [], []
    for i, c in enumerate(customers):
        owner, created = c["_owner"], c["created_at"]
        for n in range(rnd.choice([1, 1, 2, 3])):
            visited = min(created + dt.timedelta(days=n * 7), now - dt.timedelta(hours=1))
            visits.append({
                "customer_id": c["id"], "project_id": c["_project"], "kind": "visit" if n or rnd.random() < .7 else "call",
                "channel_id": c["source_id"], "visited_at": visited, "is_first": n == 0, "received_by_id": owner.id,
                "layout_wanted": rnd.choice(LAYOUTS), "area_min": 80 + 10 * rnd.randint(0, 4),
                "area_max": 120 + 10 * rnd.randint(0, 4), "budget_min": 1500000 + 100000 * rnd.randint(0, 10),
                "budget_max": 3000000 + 100000 * rnd.randint(0, 10),
                "floors_wanted": rnd.choice(["10-20", "15层以上", "不限", None]), "notes": None,
                "registered_by_id": None})
        # The last contact plans the next one (or not); the earlier ones are done.
        offset = NEXT_DAYS[c["_nth"] % len(NEXT_DAYS)]
        next_date = today + dt.timedelta(days=offset) if offset is not None else None
        first = created + dt.timedelta(hours=2)
        if next_date is not None:
            last = dt.datetime.combine(next_date - dt.timedelta(days=rnd.randint(3, 10)),
                                       dt.time(rnd.randint(9, 19), rnd.randint(0, 59)))
        else:
            last = created + dt.timedelta(days=rnd.randint(1, 20))
        last = max(first, min(last, now - dt.timedelta(minutes=rnd.randint(30, 2880))))
        count = rnd.choice([1, 2, 2, 3])
        for n in range(count):
            followed = first + (last - first) * n / (count - 1) if count > 1 else last
            follow_ups.append({
                "customer_id": c["id"], "opportunity_id": None, "contact_type": rnd.choice(
                    ["visit", "call", "message", "wechat", "home_visit"]),
                "content": rnd.choice(CONTENTS), "employee_id": owner.id,
                "followed_at": followed.replace(microsecond=0),
                "next_date": next_date if n == count - 1 else None,
                "open": n == count - 1 and next_date is not None, "reminded_on": None})
        if i % 10 < 7:
            stage = rnd.choices([s for s, _w in STAGES], [w for _s, w in STAGES])[0]
            opportunities.append({
                "customer_id": c["id"], "project_id": c["_project"], "owner_id": owner.id,
                "grade_id": pick("opportunity_grade"), "stage": stage, "chance": CHANCES[stage],
                "lost_reason_id": pick("lost_reason") if stage == "lost" else None, "notes": None,
                "created_at": created})
    _insert(Visit.__table__, visits)
    _insert(Opportunity.__table__, opportunities)
    _insert(FollowUp.__table__, follow_ups)
    db.session.flush()
