"""Marketing in the browser: the marketing manager 陈志明 (manager) plans a campaign with its cost
plan, records its spending (one entry dated outside the campaign is refused, one beyond the plan
goes to approval), reads plan vs actual, the demo questionnaire's results, and cost per contract
by channel. Screenshots: tests/artifacts/marketing-*.png."""
from app.core import display
from app.extensions import db
from app.marketing.models import Campaign, CampaignCost, Questionnaire
from app.marketing.services import channels
from tests.browser.conftest import login_as, shot
from tests.browser.test_inventory_setup import choose_value, type_date
from tests.browser.test_paths import alerts, choose, no_errors, option_label, save
from tests.crm.helpers import lookup, project

NAME = "冬季暖场活动"


def test_manager_plans_spends_and_reads_results(page, app):
    with app.app_context():
        project_id, channel_id = project().id, lookup("visit_channel", "户外广告").id
        ad_type = lookup("sales_cost_type", "广告费").id
        questionnaire_id = db.session.query(Questionnaire.id).filter_by(title="云璟花园来访客户问卷").scalar()
    login_as(page, "manager")
    page.goto("/")
    assert page.locator("a[href='/campaignview/list/']").count(), "no campaign menu"

    # Plan the campaign.
    page.goto("/campaignview/add")
    choose_value(page, "project", project_id, "云璟花园")
    page.fill("#name", NAME)
    choose_value(page, "kind", "warm_up", option_label(page, "kind", "warm_up"))
    choose(page, "channel", "户外广告")
    type_date(page, "start_date", "2026-11-01")
    type_date(page, "end_date", "2026-12-31")
    page.fill("#target_visits", "200")
    page.fill("#target_deals", "12")
    shot(page, "marketing-1-plan-campaign")
    save(page)
    no_errors(page)
    with app.app_context():
        campaign_id = db.session.query(Campaign.id).filter_by(name=NAME).scalar()
    assert campaign_id

    # Its cost plan: ¥50,000 of advertising.
    page.goto("/campaignbudgetview/add")
    choose_value(page, "campaign", campaign_id, NAME)
    choose(page, "cost_type", "广告费")
    page.fill("#amount", "50000")
    save(page)
    no_errors(page)

    # Spending: within the plan, then dated after the campaign (refused), then beyond the plan.
    def spend(day, amount, invoice):
        page.goto("/campaigncostview/add")
        choose_value(page, "campaign", campaign_id, NAME)
        choose(page, "cost_type", "广告费")
        type_date(page, "spent_on", day)
        page.fill("#amount", amount)
        page.fill("#payee", "广州地铁传媒有限公司")
        page.fill("#invoice_no", invoice)
        save(page)

    spend("2026-11-05", "30000", "44012699001")
    no_errors(page)
    spend("2027-01-05", "1000", "44012699002")
    refusal = " ".join(alerts(page))
    assert "2027-01-05" in refusal and "2026-12-31" in refusal, refusal
    shot(page, "marketing-2-spending-refused")
    spend("2026-11-20", "25000", "44012699003")
    assert alerts(page, "warning"), "no word about the approval"
    with app.app_context():
        statuses = sorted(s for (s,) in db.session.query(CampaignCost.status).filter_by(campaign_id=campaign_id))
    assert statuses == ["counted", "pending"]

    # Plan vs actual, from the campaign's page.
    page.goto("/campaignview/show/%d" % campaign_id)
    with page.expect_navigation():
        page.click("a[href*='/marketing/report/plan?campaign=%d']" % campaign_id)
    row = page.locator("table.loupan-plan-actual tbody tr", has_text=NAME).first
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[2:] == ["广告费", "¥50,000.00", "¥30,000.00", "¥25,000.00", "¥20,000.00"], cells
    shot(page, "marketing-3-plan-vs-actual")

    # The demo questionnaire's results.
    page.goto("/questionnaireview/show/%d" % questionnaire_id)
    with page.expect_navigation():
        page.click("a[href='/marketing/questionnaires/results/%d']" % questionnaire_id)
    assert "320" in page.inner_text(".loupan-response-count")
    assert page.locator(".loupan-result").count() == 6
    first = page.locator(".loupan-result").first
    percents = [t.strip() for t in first.locator("td.loupan-percent").all_inner_texts()]
    assert percents and all(p.endswith("%") for p in percents)
    shot(page, "marketing-4-questionnaire-results")

    # Cost per contract by channel (all projects), as the figures say.
    page.goto("/marketing/report/channels")
    with app.app_context():
        rows, _total = channels.by_channel()
        expected = {r["name"]: display.money(r["per_contract"]) for r in rows}
    shown = {}
    for tr in page.locator("table.loupan-by-channel tbody tr").all():
        shown[tr.get_attribute("data-channel")] = tr.locator("td.loupan-per-contract").inner_text().strip()
    assert shown == expected
    outdoor = page.locator("table.loupan-by-channel tbody tr[data-channel='户外广告'] td").all_inner_texts()
    assert outdoor[6].strip() == display.money(rows[[r["name"] for r in rows].index("户外广告")]["cost"])
    shot(page, "marketing-5-channels")
