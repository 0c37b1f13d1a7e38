"""The print kinds the platform itself ships: the organisation roster (组织架构花名册), printed
from a department (and its sub-departments) with their current staff."""
import datetime as dt

from flask_babel import lazy_gettext as _l

from app.printing import services

ORG_ROSTER = "org_roster"

DEPARTMENT_KIND_LABELS = {
    "group": _l("Group"), "company": _l("Regional company"),
    "department": _l("Department"), "sales_team": _l("Sales team"),
}
EMPLOYEE_STATUS_LABELS = {"active": _l("Employed"), "suspended": _l("Suspended"), "left": _l("Left")}

ROSTER_PLACEHOLDERS = [
    ("organisation", _l("Name of the whole organisation (the top of the tree)")),
    ("department.name, .code, .kind_label, .phone, .address", _l("The department being printed")),
    ("departments", _l("The department and each of its sub-departments in tree order; each has "
                       "name, code, kind_label, depth (0 = the printed department), phone, address, "
                       "employees")),
    ("dept.employees", _l("Staff of one department who have not left: number, name, position, phone "
                          "(masked unless the user may see personal data in full), hire_date, "
                          "status_label")),
    ("employee_count", _l("How many people are listed")),
]

ROSTER_HTML = """<html>
<head>
<meta charset="utf-8">
<title>{{ department.name }} 花名册</title>
<style>
  @page {
    margin: 1.6cm 1.5cm 2cm 1.5cm;
    @frame footer { -pdf-frame-content: page-footer; bottom: 0.8cm; margin-left: 1.5cm; margin-right: 1.5cm; height: 0.8cm; }
  }
  body { font-size: 10pt; color: #222222; }
  h1 { font-size: 18pt; text-align: center; margin: 0 0 4pt 0; }
  .sub { text-align: center; color: #555555; margin-bottom: 10pt; }
  h2 { font-size: 12pt; margin: 10pt 0 4pt 0; padding-bottom: 2pt; border-bottom: 0.5pt solid #999999; }
  .kind { font-size: 9pt; color: #777777; }
  table.staff { width: 100%; }
  table.staff th, table.staff td { border: 0.5pt solid #777777; padding: 3pt 4pt 2pt 4pt; }
  table.staff th { background-color: #eeeeee; text-align: left; }
  .empty { color: #888888; }
  #page-footer { font-size: 8pt; color: #777777; }
</style>
</head>
<body>
<h1>{{ organisation }} · 组织架构花名册</h1>
<div class="sub">{{ department.name }}（{{ department.code }}） · 共 {{ employee_count }} 人 · 打印日期 {{ today|date_cn }}</div>
{% for dept in departments %}
<h2 style="padding-left: {{ dept.depth * 14 }}pt">{{ dept.name }} <span class="kind">{{ dept.kind_label }}{% if dept.phone %} · 电话 {{ dept.phone }}{% endif %}</span></h2>
{% if dept.employees %}
<table class="staff" repeat="1">
  <thead><tr><th width="12%">工号</th><th width="13%">姓名</th><th>职位</th><th width="18%">手机</th><th width="15%">入职日期</th><th width="12%">状态</th></tr></thead>
  <tbody>
  {% for e in dept.employees %}
  <tr><td>{{ e.number }}</td><td>{{ e.name }}</td><td>{{ e.position }}</td><td>{{ e.phone }}</td><td>{{ e.hire_date|date }}</td><td>{{ e.status_label }}</td></tr>
  {% endfor %}
  </tbody>
</table>
{% else %}
<p class="empty" style="padding-left: {{ dept.depth * 14 }}pt">（本部门暂无人员）</p>
{% endif %}
{% endfor %}
<div id="page-footer">打印人：{{ printed_by }} · 打印时间：{{ now|date('%Y-%m-%d %H:%M') }} · 第 <pdf:pagenumber> 页 / 共 <pdf:pagecount> 页</div>
</body>
</html>
"""


def roster_sample():
    hired = dt.date(2024, 3, 1)

    def person(number, name, position, status="active"):
        return {"number": number, "name": name, "position": position, "phone": "138****0000",
                "hire_date": hired, "status": status, "status_label": str(EMPLOYEE_STATUS_LABELS[status])}

    departments = [
        {"name": "示例区域公司", "code": "DEMO", "kind": "company", "depth": 0, "phone": "020-12345678",
         "address": "广州市天河区示例路 1 号", "employees": [person("S001", "张三", "区域总经理")]},
        {"name": "示例项目部", "code": "DEMO-P1", "kind": "department", "depth": 1, "phone": "",
         "address": "", "employees": [person("S002", "李四", "销售经理"),
                                      person("S003", "王五", "置业顾问", "suspended")]},
        {"name": "示例销售一组", "code": "DEMO-P1-S1", "kind": "sales_team", "depth": 2, "phone": "",
         "address": "", "employees": []},
    ]
    for dept in departments:
        dept["kind_label"] = str(DEPARTMENT_KIND_LABELS[dept["kind"]])
    top = departments[0]
    return {
        "organisation": "示例置业集团",
        "department": {k: top[k] for k in ("name", "code", "kind", "kind_label", "phone", "address")},
        "departments": departments,
        "employee_count": sum(len(d["employees"]) for d in departments),
    }


def _department_dict(dept, depth):
    return {"id": dept.id, "name": dept.name, "code": dept.code, "kind": dept.kind,
            "kind_label": str(DEPARTMENT_KIND_LABELS.get(dept.kind, dept.kind)), "depth": depth,
            "phone": dept.phone or "", "address": dept.address or "", "active": dept.active}


def roster_context(pk):
    """The department `pk` and its sub-tree with their staff (not those who left)."""
    from app.core import personal_data
    from app.extensions import db
    from app.org import services as org
    from app.org.models import Department, Employee

    dept = db.session.get(Department, pk)
    if dept is None:
        return None
    rows = org.tree_rows()
    subtree, base = [], None
    for node, depth, _staff in rows:
        if base is None:
            if node.id == dept.id:
                base = depth
                subtree.append((node, 0))
        elif depth > base:
            subtree.append((node, depth - base))
        else:
            break
    if not subtree:  # a department outside the tree (a loop): print it alone
        subtree = [(dept, 0)]
    ids = [node.id for node, _depth in subtree]
    staff = {}
    employees = (db.session.query(Employee)
                 .filter(Employee.department_id.in_(ids), Employee.status != "left")
                 .order_by(Employee.number).all())
    for emp in employees:
        staff.setdefault(emp.department_id, []).append({
            "number": emp.number, "name": emp.name, "position": emp.position or "",
            "phone": personal_data.shown(emp.phone), "hire_date": emp.hire_date, "status": emp.status,
            "status_label": str(EMPLOYEE_STATUS_LABELS.get(emp.status, emp.status)),
        })
    departments = []
    for node, depth in subtree:
        item = _department_dict(node, depth)
        item["employees"] = staff.get(node.id, [])
        departments.append(item)
    chain = org.ancestors(dept.id)
    root = db.session.get(Department, chain[-1]) if chain else dept
    top = departments[0]
    return {
        "organisation": root.name,
        "department": {k: top[k] for k in ("name", "code", "kind", "kind_label", "phone", "address")},
        "departments": departments,
        "employee_count": len(employees),
    }


def roster_choices():
    from app.org import services as org
    return [(node.id, "\u3000" * depth + node.name) for node, depth, _staff in org.tree_rows()]


def register():
    services.register_kind(
        ORG_ROSTER, _l("Organisation roster"), roster_sample, ROSTER_PLACEHOLDERS,
        record_context=roster_context, record_choices=roster_choices, record_label=_l("Department"),
        permission=("can_list", "EmployeeView"),
        default_template={"name": "组织架构花名册", "html": ROSTER_HTML, "paper": "a4",
                          "description": "按部门（含下级部门）列出在职人员"},
    )
