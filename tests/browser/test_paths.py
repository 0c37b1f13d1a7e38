"""Main paths through the interface, in Chromium, the way a user clicks them.

Each test starts from the seeded demo organisation (tests/conftest.py restores the database
after every test). Screenshots of each step: tests/artifacts/path-*.png.
"""
import re

from tests.browser import i18n
from tests.browser.conftest import login, login_as, shot

NEW_DEPT = {"name": "广州番禺·星河湾项目部", "code": "GZ-PY", "kind": "department",
            "parent": "华南区域公司", "region": "华南区域", "sort_order": "25",
            "phone": "020-84561234", "address": "广州市番禺区市桥街星河路8号"}
REGION_COMPANY = "华南区域公司"
GROUP = "安居置业集团"

NEW_EMPLOYEE = {"number": "E2001", "name": "郑晓明", "department": "广州天河·云璟项目部",
                "position": "置业顾问", "phone": "13912345678", "id_number": "440106199001011234",
                "hire_date": "2026-03-02"}
MASKED_PHONE = "139****5678"


# --------------------------------------------------------------------------- form helpers


def choose(page, field, text):
    """Pick `text` in the select2 box of the form field `field`, as a user does: open the box,
    click the option."""
    page.click("select#%s + .select2-container .select2-selection" % field)
    option = page.locator(".select2-container--open .select2-results__option").filter(
        has_text=re.compile(r"^\s*%s\s*$" % re.escape(text)))
    option.first.click()
    assert page.eval_on_selector("select#%s" % field, "s => s.options[s.selectedIndex].textContent.trim()") == text


def option_label(page, field, value):
    """The label the form shows for a choice (whatever the language of the interface)."""
    return page.eval_on_selector("select#%s option[value='%s']" % (field, value), "o => o.textContent.trim()")


def save(page):
    with page.expect_navigation():
        page.click("form button[type=submit], form input[type=submit]")


def alerts(page, kind="danger"):
    return [" ".join(t.replace("×", "").split())
            for t in page.eval_on_selector_all(".alert-%s" % kind, "els => els.map(e => e.innerText)")]


def no_errors(page):
    assert not page.locator("[data-error-code]").count(), page.inner_text("[data-error-code]")
    assert not alerts(page), alerts(page)


def tree_rows(page):
    """(name, indentation in px, href) of every row of the organisation chart."""
    return page.eval_on_selector_all(
        "table.loupan-org-tree tbody tr td:first-child",
        """tds => tds.map(td => [td.innerText.trim(), parseInt(td.style.paddingLeft || '0'),
                                td.querySelector('a') ? td.querySelector('a').getAttribute('href') : null])""")


def add_department(page):
    """Admin adds NEW_DEPT under 华南区域公司 through the add form; returns its detail URL."""
    page.goto("/departmentview/list/")
    with page.expect_navigation():
        page.click("a[href$='/departmentview/add']")
    shot(page, "path-department-add-empty")
    page.fill("#name", NEW_DEPT["name"])
    page.fill("#code", NEW_DEPT["code"])
    choose(page, "kind", option_label(page, "kind", NEW_DEPT["kind"]))
    choose(page, "parent", NEW_DEPT["parent"])
    choose(page, "region", NEW_DEPT["region"])
    page.fill("#phone", NEW_DEPT["phone"])
    page.fill("#address", NEW_DEPT["address"])
    page.fill("#sort_order", NEW_DEPT["sort_order"])
    shot(page, "path-department-add-filled")
    save(page)
    shot(page, "path-department-added")
    no_errors(page)
    assert alerts(page, "success"), "no confirmation after saving the department"
    assert NEW_DEPT["name"] in page.inner_text("body")
    page.goto("/departmentview/tree/")
    rows = tree_rows(page)
    return next(href for name, _, href in rows if name == NEW_DEPT["name"])


# --------------------------------------------------------------------------- (1) organisation


def test_admin_adds_department_and_cannot_move_region_under_its_child(page):
    login_as(page, "admin")
    add_department(page)

    # The organisation chart shows it under 华南区域公司, one level deeper.
    page.goto("/departmentview/tree/")
    shot(page, "path-org-chart-with-new-department")
    no_errors(page)
    rows = tree_rows(page)
    names = [r[0] for r in rows]
    assert NEW_DEPT["name"] in names, names
    region = names.index(REGION_COMPANY)
    new = names.index(NEW_DEPT["name"])
    region_indent = rows[region][1]
    assert new > region and rows[new][1] > region_indent, rows
    # ...and inside the region's sub-tree (no row as shallow as the region in between).
    assert all(r[1] > region_indent for r in rows[region + 1:new]), rows

    # Move 华南区域公司 under its own new child: refused with a message, nothing changes.
    with page.expect_navigation():
        page.click("table.loupan-org-tree a:text-is('%s')" % REGION_COMPANY)
    region_show = page.url
    region_pk = region_show.rstrip("/").rsplit("/", 1)[1]
    shot(page, "path-region-company-detail")
    # The detail page has no edit button: the user edits from the list.
    page.goto("/departmentview/list/")
    with page.expect_navigation():
        page.click("a[href$='/departmentview/edit/%s']" % region_pk)
    shot(page, "path-region-company-edit")
    choose(page, "parent", NEW_DEPT["name"])
    save(page)
    shot(page, "path-region-company-move-refused")
    refusals = alerts(page)
    assert refusals, "no refusal message after moving %s under its own child" % REGION_COMPANY
    assert any(REGION_COMPANY in r for r in refusals), refusals
    assert not page.locator("[data-error-code]").count(), "an error page instead of a message"

    page.goto(region_show)
    shot(page, "path-region-company-unchanged")
    body = page.inner_text("body")
    assert GROUP in body and NEW_DEPT["name"] not in body, "the parent of %s changed" % REGION_COMPANY


# --------------------------------------------------------------------------- (2) personal data


def test_employee_phone_is_shown_in_full_or_masked_by_role(page, browser, base_url, app):
    login_as(page, "admin")
    page.goto("/employeeview/list/")
    with page.expect_navigation():
        page.click("a[href$='/employeeview/add']")
    page.fill("#number", NEW_EMPLOYEE["number"])
    page.fill("#name", NEW_EMPLOYEE["name"])
    choose(page, "department", NEW_EMPLOYEE["department"])
    page.fill("#position", NEW_EMPLOYEE["position"])
    page.fill("#phone", NEW_EMPLOYEE["phone"])
    page.fill("#id_number", NEW_EMPLOYEE["id_number"])
    # Typed key by key (the date picker reads keystrokes), then click elsewhere to close it.
    page.click("#hire_date")
    page.locator("#hire_date").press_sequentially(NEW_EMPLOYEE["hire_date"])
    page.click(".panel-heading")
    assert page.input_value("#hire_date") == NEW_EMPLOYEE["hire_date"]
    shot(page, "path-employee-add-filled")
    save(page)
    shot(page, "path-employee-added")
    no_errors(page)
    assert NEW_EMPLOYEE["name"] in page.inner_text("body")

    # The manager has the right to see personal data: the phone in full, list and detail.
    manager = new_page(browser, base_url)
    login_as(manager, "manager")
    manager.goto("/employeeview/list/")
    shot(manager, "path-employee-list-manager")
    no_errors(manager)
    row = employee_row(manager)
    assert NEW_EMPLOYEE["phone"] in row and MASKED_PHONE not in row, row
    assert NEW_EMPLOYEE["hire_date"] in row and NEW_EMPLOYEE["department"] in row, row
    with manager.expect_navigation():
        manager.click("tr:has-text('%s') a[href*='/employeeview/show/']" % NEW_EMPLOYEE["name"])
    shot(manager, "path-employee-detail-manager")
    detail = manager.inner_text("body")
    assert NEW_EMPLOYEE["phone"] in detail and NEW_EMPLOYEE["id_number"] in detail
    detail_url = manager.url
    close(manager)

    # A salesperson has no access to employees at all: no menu entry, and the page is refused.
    sales = new_page(browser, base_url)
    login_as(sales, "sales")
    assert not sales.locator(".navbar a[href*='/employeeview/']").count()
    sales.goto("/employeeview/list/")
    shot(sales, "path-employee-list-sales-refused")
    body = sales.inner_text("body")
    assert NEW_EMPLOYEE["phone"] not in body and MASKED_PHONE not in body
    assert alerts(sales) or sales.locator("[data-error-code]").count(), "sales was not refused"
    sales.goto(detail_url.replace(base_url, ""))
    assert NEW_EMPLOYEE["phone"] not in sales.inner_text("body")
    assert sales.locator("[data-error-code]").count() or alerts(sales), "sales was not refused"
    # The refusals answer 403, which the browser logs as console errors: expected here.
    sales.console_log.take()
    close(sales)

    # No shipped role other than admin and manager may open employees, so the masking is
    # shown with a role made for the test: employees' list and detail, without PersonalData.
    make_role_without_personal_data(app)
    viewer = new_page(browser, base_url)
    login(viewer, "hrview", "Loupan2026")
    assert "/login" not in viewer.url, "the test user could not log in"
    viewer.goto("/employeeview/list/")
    shot(viewer, "path-employee-list-masked")
    no_errors(viewer)
    row = employee_row(viewer)
    assert MASKED_PHONE in row and NEW_EMPLOYEE["phone"] not in row, row
    viewer.goto(detail_url.replace(base_url, ""))
    shot(viewer, "path-employee-detail-masked")
    detail = viewer.inner_text("body")
    assert MASKED_PHONE in detail and NEW_EMPLOYEE["phone"] not in detail
    assert "4401**********1234" in detail and NEW_EMPLOYEE["id_number"] not in detail
    close(viewer)


def employee_row(page):
    row = page.locator("table tr:has-text('%s')" % NEW_EMPLOYEE["name"])
    assert row.count() == 1, "employee %s not listed once" % NEW_EMPLOYEE["name"]
    return row.inner_text()


def new_page(browser, base_url):
    """A second user in the same test: a fresh browser context (its own cookies)."""
    from tests.browser.conftest import ConsoleLog
    context = browser.new_context(base_url=base_url, locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_log = ConsoleLog(page)
    return page


def close(page):
    errors = page.console_log.take()
    page.context.close()
    assert not errors, "Console errors in the browser:\n  " + "\n  ".join(errors)


def make_role_without_personal_data(app):
    from app.core.services.setup import ensure_user
    from app.extensions import db

    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.add_role("人事查询（测试）")
        for perm, view in [("can_list", "EmployeeView"), ("can_show", "EmployeeView"),
                           ("menu_access", "Organisation"), ("menu_access", "Employees")]:
            pv = sm.find_permission_view_menu(perm, view)
            assert pv is not None, (perm, view)
            if pv not in role.permissions:
                role.permissions.append(pv)
        db.session.commit()
        ensure_user("hrview", "查询", "人事", "hrview@loupan.local", [role.name], "Loupan2026")
        db.session.commit()
        db.session.remove()


# --------------------------------------------------------------------------- (3) login


def test_wrong_password_shows_a_chinese_message(page):
    login(page, "admin", "not-the-password-1")
    shot(page, "path-login-wrong-password")
    assert "/login" in page.url, "a wrong password was accepted"
    messages = [m for kind in ("danger", "warning", "info") for m in alerts(page, kind)]
    assert messages, "no message after a wrong password"
    for message in messages:
        assert i18n.CJK.search(message), "the message is not in Chinese: %r" % message
        assert not i18n.english_runs(message), "English in the message: %r" % message
    assert page.input_value("input#password") == ""
    page.goto("/users/userinfo/")
    assert "/login" in page.url, "not logged in, yet the profile page opened"


# --------------------------------------------------------------------------- (4) audit log


def test_audit_log_and_change_history_show_the_new_department(page):
    login_as(page, "admin")
    detail = add_department(page)

    page.goto("/auditlogview/list/")
    shot(page, "path-audit-log")
    no_errors(page)
    rows = page.locator("table tr:has-text('%s')" % NEW_DEPT["name"])
    assert rows.count() >= 1, "the audit log does not list the new department"
    text = rows.first.inner_text()
    assert "admin" in text and "department" in text, text
    assert NEW_DEPT["code"] in text, text

    page.goto(detail)
    shot(page, "path-new-department-detail")
    link = page.locator("a.loupan-history-link")
    assert link.count() == 1, "the detail page has no link to the change history"
    with page.expect_navigation():
        link.click()
    shot(page, "path-new-department-history")
    no_errors(page)
    entries = page.locator("table.loupan-history > tbody > tr")
    assert entries.count() == 1, "expected exactly the creation, got %d entries" % entries.count()
    entry = entries.first.inner_text()
    assert "admin" in entry and NEW_DEPT["name"] in entry and NEW_DEPT["code"] in entry, entry


def test_transfer_request_is_approved_in_the_browser_and_the_requester_is_told(page, browser, base_url, app):
    """A manager asks to move 张伟 to 深圳前海·海悦项目部; the admin sees the bell, opens the inbox,
    approves; the employee has moved and the manager's bell shows the answer."""
    from app.extensions import db
    from app.org.models import Employee

    login_as(page, "manager")
    with app.app_context():
        emp = db.session.query(Employee).filter_by(number="E1006").one()
        emp_id, employee_label = emp.id, "%s (%s)" % (emp.name, emp.number)
    page.goto("/employeeview/show/%d" % emp_id)
    no_errors(page)
    with page.expect_navigation():
        page.click(".loupan-detail-links a[href*='employeetransfer']")
    assert page.eval_on_selector("select#employee", "s => s.value") == str(emp_id)
    choose(page, "to_department", "深圳前海·海悦项目部 (SZ-QH)")
    page.fill("textarea#reason", "前海项目开盘，需要增援")
    shot(page, "path-transfer-request-filled")
    save(page)
    no_errors(page)
    assert alerts(page, "success") or alerts(page, "info")
    shot(page, "path-transfer-request-sent")

    admin_context = browser.new_context(base_url=base_url, locale="zh-CN", viewport={"width": 1366, "height": 900})
    admin = admin_context.new_page()
    try:
        login_as(admin, "admin")
        assert int(admin.get_attribute(".loupan-unread-count", "data-unread")) >= 1
        admin.goto("/approvals/inbox/")
        shot(admin, "path-approval-inbox")
        row = admin.locator("table tr", has_text=employee_label.split(" ")[0]).first
        with admin.expect_navigation():
            row.locator("a").first.click()
        assert "前海项目开盘" in admin.inner_text("body")
        shot(admin, "path-approval-detail")
        admin.fill("textarea#approve_comment", "同意")
        with admin.expect_navigation():
            admin.click("form.loupan-approve button[type=submit]")
        assert not admin.locator("[data-error-code]").count()
        shot(admin, "path-approval-approved")
    finally:
        admin_context.close()

    with app.app_context():
        moved = db.session.get(Employee, emp_id)
        assert moved.department.code == "SZ-QH"
    page.goto("/")
    assert int(page.get_attribute(".loupan-unread-count", "data-unread")) >= 1
    page.click(".loupan-bell a")
    page.wait_for_load_state()
    assert "张伟" in page.inner_text("body")
    shot(page, "path-transfer-approved-notification")


def test_roster_prints_as_pdf_from_the_department_page(page, app, tmp_path):
    """The admin opens 华南区域公司 and presses 打印组织花名册: a PDF with the company's people."""
    import subprocess

    login_as(page, "admin")
    with app.app_context():
        from app.extensions import db
        from app.org.models import Department
        pk = db.session.query(Department).filter_by(code="HN").one().id
    page.goto("/departmentview/show/%d" % pk)
    no_errors(page)
    link = page.locator(".loupan-detail-links a[href*='/print/org_roster/']")
    assert link.count() == 1
    shot(page, "path-roster-print-button")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/pdf")
    pdf = tmp_path / "roster.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert REGION_COMPANY in text and "黄丽萍" in text
