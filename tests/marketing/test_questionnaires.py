"""Questionnaires: required questions, counts and percentages per question (filtered by period and
channel), versions that keep old answers with their questions, Excel export and the pages."""
import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.core.errors import BusinessError
from app.extensions import db
from app.marketing.models import Answer, Question, Questionnaire, QuestionnaireResponse
from app.marketing.services import questionnaires as qs
from tests.marketing.helpers import D, as_user, lookup, project, visit
from tests.sales.helpers import QueryCounter


def build():
    item = Questionnaire(title="测试问卷", project=project(), active=True, version=1)
    qs.check_questionnaire(item)
    db.session.add(item)
    db.session.flush()
    specs = [("了解渠道", "single", True, "朋友\n广告\n网络"), ("关注点", "multiple", True, "价格\n户型\n学区"),
             ("满意度", "rating", True, None), ("建议", "text", False, None)]
    made = []
    for n, (text, kind, required, options) in enumerate(specs, start=1):
        q = Question(questionnaire=item, position=n * 10, text=text, kind=kind, required=required, options=options)
        with db.session.no_autoflush:
            qs.check_question(q)
        db.session.add(q)
        made.append(q)
    db.session.commit()
    return item, made


def answer(item, made, single, multiple, rating, text=None, **kwargs):
    return qs.submit(item, {made[0].id: single, made[1].id: multiple, str(made[2].id): str(rating),
                            made[3].id: text}, **kwargs)


def counts():
    return (db.session.query(sa.func.count(QuestionnaireResponse.id)).scalar(),
            db.session.query(sa.func.count(Answer.id)).scalar())


def options(result, number):
    return {o["label"]: (o["count"], o["percent"]) for o in result["questions"][number - 1]["options"]}


def four_answers(app, item, made):
    with as_user(app, "sales"):
        v_outdoor = visit("17700000011", dt.date(2020, 3, 2), "户外广告", name="问卷甲")
        v_online = visit("17700000012", dt.date(2020, 3, 3), "网络推广", name="问卷乙")
    march = dt.datetime(2020, 3, 10, 2)
    answer(item, made, "朋友", ["价格", "户型"], 5, "很好", visit=v_outdoor, answered_at=march)
    answer(item, made, "广告", ["价格"], 4, visit=v_outdoor, answered_at=march)
    answer(item, made, "朋友", ["价格", "学区"], 4, "停车难", visit=v_online, answered_at=march)
    answer(item, made, "朋友", "户型", 3, visit=v_online, answered_at=dt.datetime(2020, 4, 10, 2))


def test_counts_percentages_and_filters(app, ctx):
    item, made = build()
    four_answers(app, item, made)
    with QueryCounter(db.engine) as counter:
        result = qs.results(item)
    assert counter.count <= 6  # the questionnaire, its questions, and four for the answers
    assert result["responses"] == 4
    assert options(result, 1) == {"朋友": (3, D("75.0")), "广告": (1, D("25.0")), "网络": (0, D("0.0"))}
    assert options(result, 2) == {"价格": (3, D("75.0")), "户型": (2, D("50.0")), "学区": (1, D("25.0"))}
    rating = result["questions"][2]
    assert rating["average"] == D("4.00") and options(result, 3)["4"] == (2, D("50.0"))
    text = result["questions"][3]
    assert text["respondents"] == 2 and sorted(v for _at, v in text["texts"]) == ["停车难", "很好"]
    # March only, then one channel.
    march = qs.results(item, start=dt.date(2020, 3, 1), end=dt.date(2020, 3, 31))
    assert march["responses"] == 3 and options(march, 1)["朋友"] == (2, D("66.7"))
    online = qs.results(item, channel_id=lookup("visit_channel", "网络推广").id)
    assert online["responses"] == 2 and options(online, 1)["朋友"] == (2, D("100.0"))
    rows = qs.export_rows(result)
    assert ["1", "了解渠道", "朋友", 3] == [str(rows[0][0]), rows[0][1], rows[0][3], rows[0][4]]


def test_required_and_invalid_answers_save_nothing(app, ctx):
    item, made = build()
    before = counts()
    with pytest.raises(BusinessError, match="required questions: 关注点|必答题：关注点"):
        qs.submit(item, {made[0].id: "朋友", made[2].id: "3"})
    with pytest.raises(BusinessError, match="from its options|从选项中选择"):
        qs.submit(item, {made[0].id: "别的", made[1].id: ["价格"], made[2].id: "3"})
    with pytest.raises(BusinessError, match="only one|只能选择一个"):
        qs.submit(item, {made[0].id: ["朋友", "广告"], made[1].id: ["价格"], made[2].id: "3"})
    with pytest.raises(BusinessError, match="from 1 to 5|1 至 5|1至5|1 到 5"):
        qs.submit(item, {made[0].id: "朋友", made[1].id: ["价格"], made[2].id: "9"})
    db.session.rollback()
    assert counts() == before


def test_a_changed_questionnaire_is_versioned(app, ctx):
    item, made = build()
    four_answers(app, item, made)
    first = db.session.get(Question, made[0].id)
    first.text = "改过的问题"
    with pytest.raises(BusinessError, match="already has 4 answers|已有 4 份答卷"):
        with db.session.no_autoflush:
            qs.check_question(first)
    db.session.rollback()
    with pytest.raises(BusinessError, match="already has 4 answers|已有 4 份答卷"):
        qs.check_question_deletable(db.session.get(Question, made[3].id))
    qs.new_version(db.session.get(Questionnaire, item.id))
    item = db.session.get(Questionnaire, item.id)
    assert item.version == 2
    v2 = qs.questions(item)
    assert [q.text for q in v2] == ["了解渠道", "关注点", "满意度", "建议"] and v2[0].id != made[0].id
    v2[0].text = "您从哪里知道我们？"
    v2[0].options = "朋友\n广告\n网络\n中介"
    with db.session.no_autoflush:
        qs.check_question(v2[0])
    db.session.commit()
    old = qs.results(item, version=1)
    assert old["responses"] == 4 and old["questions"][0]["text"] == "了解渠道"
    assert options(old, 1)["朋友"] == (3, D("75.0"))
    new = qs.results(item)
    assert new["version"] == 2 and new["responses"] == 0 and "中介" in options(new, 1)
    # A form opened on version 1 cannot be saved into version 2.
    with pytest.raises(BusinessError, match="has changed|问卷已变更"):
        qs.submit(item, {made[0].id: "朋友"}, version=1)
    db.session.get(Question, made[0].id).text = "再改"
    with pytest.raises(BusinessError, match="earlier version|旧版本"):
        with db.session.no_autoflush:
            qs.check_question(db.session.get(Question, made[0].id))
    db.session.rollback()


def test_pages_fill_results_export(app, client):
    from tests.conftest import form_token, login
    with app.app_context():
        item, made = build()
        pk, ids = item.id, [q.id for q in made]
    login(client, "sales")
    token = form_token(client, "/marketing/questionnaires/fill/%d" % pk)
    response = client.post("/marketing/questionnaires/fill/%d" % pk, data={
        "csrf_token": token, "version": "1", "q_%d" % ids[0]: "朋友", "q_%d" % ids[2]: "4"})
    assert response.status_code == 422 and "关注点" in response.get_data(as_text=True)
    response = client.post("/marketing/questionnaires/fill/%d" % pk, data={
        "csrf_token": token, "version": "1", "q_%d" % ids[0]: "朋友", "q_%d" % ids[1]: ["价格", "学区"],
        "q_%d" % ids[2]: "4"})
    assert response.status_code == 302
    assert client.get("/marketing/questionnaires/print/%d" % pk).status_code == 200
    assert client.get("/marketing/questionnaires/results/%d" % pk).status_code in (302, 403)  # salespeople fill in
    client.get("/logout/")
    login(client, "manager")
    html = client.get("/marketing/questionnaires/results/%d?start=x&channel=abc&version=99" % pk).get_data(
        as_text=True)
    assert "100.0%" in html and ">0.0%<" in html and "loupan-result" in html
    data = client.get("/marketing/questionnaires/export/%d" % pk).data
    sheet = load_workbook(io.BytesIO(data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert ["了解渠道", "朋友", 1] in [[r[1], r[3], r[4]] for r in values]
    assert client.get("/marketing/questionnaires/results/99999999").status_code == 404
    token = form_token(client, "/questionnaireview/new_version/%d" % pk)
    client.post("/questionnaireview/new_version/%d" % pk, data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(Questionnaire, pk).version == 2
    api = client.get("/api/v1/marketing/questionnaires/%d/results?version=1" % pk).json
    assert api["responses"] == 1 and api["questions"][0]["options"][0] == {"label": "朋友", "count": 1,
                                                                          "percent": "100.0"}
