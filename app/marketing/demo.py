"""Demo marketing: campaigns of 云璟花园 and 海悦中心 with their cost plans and spending, the demo
visits of each campaign's channel and dates linked to it, and a visitor questionnaire with a few
hundred answers given at those visits. Customers, visits and rooms stay as the CRM demo made them."""
import datetime as dt
import decimal
import random

import sqlalchemy as sa

from app.core import clock
from app.core.context import acting_as
from app.core.models import LookupValue
from app.crm.models import Visit
from app.extensions import db
from app.inventory.models import Project
from app.marketing.models import (Answer, Campaign, CampaignBudget, CampaignCost, Question, Questionnaire,
                                  QuestionnaireResponse)
from app.marketing.services import campaigns as marketing

D = decimal.Decimal

# project, name, kind, channel, first day and last day (days from today), target visits and deals,
# plan {expense type: amount}, spending [(day, expense type, amount, payee, invoice)]
CAMPAIGNS = [
    ("GZ-YJ", "云璟花园开盘盛典", "opening", "网络推广", -75, -45, 300, 40,
     {"活动费": "180000", "广告费": "120000", "物料费": "30000"},
     [(-74, "广告费", "60000", "广州今日头条广告有限公司", "44012600001"),
      (-70, "物料费", "26500", "广州印象广告制作有限公司", "44012600002"),
      (-60, "活动费", "168000", "广州盛典会展服务有限公司", "44012600003"),
      (-50, "广告费", "58000", "广州今日头条广告有限公司", "44012600004")]),
    ("GZ-YJ", "地铁沿线户外广告", "advertising", "户外广告", -150, -1, 400, 30,
     {"广告费": "360000", "物料费": "20000"},
     [(-148, "广告费", "120000", "广州地铁传媒有限公司", "44012600011"),
      (-100, "广告费", "120000", "广州地铁传媒有限公司", "44012600012"),
      (-50, "广告费", "110000", "广州地铁传媒有限公司", "44012600013"),
      (-140, "物料费", "15800", "广州印象广告制作有限公司", "44012600014")]),
    ("GZ-YJ", "老业主推荐季", "referral", "老带新", -120, -1, 150, 25,
     {"渠道佣金": "200000", "活动费": "40000"},
     [(-90, "渠道佣金", "60000", "老业主推荐奖励（批量）", None),
      (-30, "渠道佣金", "80000", "老业主推荐奖励（批量）", None),
      (-60, "活动费", "32000", "广州暖场活动策划有限公司", "44012600021")]),
    ("GZ-YJ", "中介分销合作", "channel", "中介分销", -160, -1, 250, 35,
     {"渠道佣金": "500000"},
     [(-120, "渠道佣金", "210000", "广州链家房地产经纪有限公司", "44012600031"),
      (-40, "渠道佣金", "180000", "广州合富置业有限公司", "44012600032")]),
    ("HZ-JY", "滨江锦园中介联动", "channel", "中介分销", -90, -1, 150, 15,
     {"渠道佣金": "300000", "物料费": "12000"},
     [(-80, "渠道佣金", "96000", "杭州我爱我家房地产经纪有限公司", "33010800001"),
      (-25, "渠道佣金", "128000", "杭州贝壳找房经纪有限公司", "33010800002"),
      (-85, "物料费", "9800", "杭州印刷制品有限公司", "33010800003")]),
    ("SZ-HY", "海悦中心网络推广", "advertising", "网络推广", -100, -1, 200, 15,
     {"广告费": "150000"},
     [(-95, "广告费", "70000", "深圳百度推广服务有限公司", "44030500011"),
      (-35, "广告费", "64000", "深圳百度推广服务有限公司", "44030500012")]),
    ("SZ-HY", "海悦中心周末暖场", "warm_up", "自然到访", -60, -1, 120, 10,
     {"活动费": "80000", "物料费": "10000"},
     [(-55, "活动费", "36000", "深圳欢乐时光活动策划有限公司", "44030500001"),
      (-20, "物料费", "8600", "深圳印刷制品有限公司", "44030500002")]),
]

QUESTIONS = [
    ("您是通过什么渠道了解到本项目的？", "single", True, ["朋友推荐", "户外广告", "网络", "中介", "路过"]),
    ("您最关注项目的哪些方面？（可多选）", "multiple", True, ["地段交通", "价格", "户型", "学区", "物业", "开发商品牌"]),
    ("您的意向户型是？", "single", True, ["两房", "三房", "四房及以上"]),
    ("您对售楼处接待服务的满意度", "rating", True, None),
    ("您的购房预算（总价）", "single", False, ["200万以下", "200-300万", "300-400万", "400万以上"]),
    ("您还有什么建议？", "text", False, None),
]
SUGGESTIONS = ["希望增加看房车班次", "样板间很不错", "停车位有点少", "希望尽快公布二期价格", "讲解很专业",
               "周末人太多，等候时间长", "希望有更多小户型", "交通很方便"]
RESPONSES = 320


def load():
    with acting_as(name="demo"):
        projects = {p.code: p for p in db.session.query(Project)}
        values = {}
        for value in db.session.query(LookupValue).filter(LookupValue.list_code.in_(("visit_channel",
                                                                                        "sales_cost_type"))):
            values[(value.list_code, value.name)] = value
        today = clock.local_today()
        day = lambda n: today + dt.timedelta(days=n)  # noqa: E731
        made = []
        for code, name, kind, channel, first, last, visits, deals, plan, spending in CAMPAIGNS:
            project = projects.get(code)
            if project is None:
                continue
            campaign = Campaign(project=project, name=name, kind=kind, channel=values.get(("visit_channel", channel)),
                                start_date=day(first), end_date=day(last), target_visits=visits, target_deals=deals)
            db.session.add(campaign)
            for type_name, amount in plan.items():
                db.session.add(CampaignBudget(campaign=campaign, cost_type=values[("sales_cost_type", type_name)],
                                              amount=D(amount)))
            for offset, type_name, amount, payee, invoice in spending:
                db.session.add(CampaignCost(campaign=campaign, cost_type=values[("sales_cost_type", type_name)],
                                            spent_on=day(offset), amount=D(amount), payee=payee, invoice_no=invoice,
                                            status="counted"))
            made.append(campaign)
        db.session.flush()
        _link_visits(made)
        if "GZ-YJ" in projects:
            _questionnaire(projects["GZ-YJ"], made[0] if made else None, today)
        db.session.commit()


def _link_visits(campaigns):
    """The demo visits of each campaign's project, channel and dates came through it."""
    for campaign in campaigns:
        if campaign.channel_id is not None:
            marketing.link_matching_visits(campaign, commit=False)


def _questionnaire(project, campaign, today):
    rnd = random.Random(9)
    questionnaire = Questionnaire(title="云璟花园来访客户问卷", project=project, active=True, version=1,
                                  description="请在客户首次来访时填写，约2分钟。")
    db.session.add(questionnaire)
    db.session.flush()
    questions = []
    for position, (text, kind, required, options) in enumerate(QUESTIONS, start=1):
        question = Question(questionnaire_id=questionnaire.id, version=1, position=position * 10, text=text,
                            kind=kind, required=required, options="\n".join(options) if options else None)
        db.session.add(question)
        questions.append(question)
    db.session.flush()
    visits = db.session.execute(
        sa.select(Visit.id, Visit.customer_id, Visit.channel_id, Visit.visited_at)
        .where(Visit.project_id == project.id, Visit.kind == "visit", Visit.is_first.is_(True))
        .order_by(Visit.visited_at.desc(), Visit.id).limit(RESPONSES)).all()
    responses = [{"questionnaire_id": questionnaire.id, "version": 1, "customer_id": v.customer_id, "visit_id": v.id,
                  "channel_id": v.channel_id, "answered_at": v.visited_at + dt.timedelta(minutes=30),
                  "filled_by_id": None} for v in visits]
    if not responses:
        return
    db.session.execute(sa.insert(QuestionnaireResponse), responses)
    ids = db.session.execute(sa.select(QuestionnaireResponse.id).where(
        QuestionnaireResponse.questionnaire_id == questionnaire.id).order_by(QuestionnaireResponse.id)).scalars().all()
    answers = []
    for response_id in ids:
        for question in questions:
            if not question.required and rnd.random() < .35:
                continue
            if question.kind == "single":
                chosen = [rnd.choices(question.choices(), weights=range(len(question.choices()) + 1, 1, -1))[0]]
            elif question.kind == "multiple":
                chosen = rnd.sample(question.choices(), rnd.randint(1, 3))
            elif question.kind == "rating":
                chosen = [str(rnd.choices([1, 2, 3, 4, 5], weights=[1, 2, 6, 14, 10])[0])]
            else:
                chosen = [rnd.choice(SUGGESTIONS)]
            answers.extend({"response_id": response_id, "question_id": question.id, "value": value}
                           for value in chosen)
    db.session.execute(sa.insert(Answer), answers)
