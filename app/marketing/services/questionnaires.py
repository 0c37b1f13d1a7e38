"""Questionnaires (问卷调查): design, versions, filling in and results.

Questions belong to one version of a questionnaire. Once the current version has answers its
questions cannot change (answers keep the questions they were given to): "New version" copies
them into the next version, which is then edited and filled in; results are read per version."""
import datetime as dt
import decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.errors import BusinessError
from app.core.models import LookupValue
from app.core.models.base import utcnow
from app.extensions import db
from app.marketing.models import QUESTION_KINDS, RATING_MAX, Answer, Question, Questionnaire, QuestionnaireResponse
from app.marketing.services.channels import moment_filters

D = decimal.Decimal
KIND_LABELS = {"single": _l("Single choice"), "multiple": _l("Multiple choice"), "text": _l("Text"),
               "rating": _l("Rating (1–5)")}
TEXT_MAX = 1000
TEXTS_SHOWN = 20


def kind_label(kind):
    return str(KIND_LABELS.get(kind, kind or ""))


def questions(questionnaire, version=None):
    return (db.session.query(Question)
            .filter(Question.questionnaire_id == questionnaire.id,
                    Question.version == (version or questionnaire.version))
            .order_by(Question.position, Question.id).all())


def for_project(project_id):
    """Questionnaires in use for a project: its own and its campaigns', and those of no project."""
    return (db.session.query(Questionnaire)
            .filter(Questionnaire.active.is_(True),
                    sa.or_(Questionnaire.project_id == project_id, Questionnaire.project_id.is_(None)))
            .order_by(Questionnaire.id.desc()).all())


def response_count(questionnaire_id, version):
    return db.session.query(sa.func.count(QuestionnaireResponse.id)).filter(
        QuestionnaireResponse.questionnaire_id == questionnaire_id,
        QuestionnaireResponse.version == version).scalar()


def _refuse_if_answered(questionnaire_id, version):
    count = response_count(questionnaire_id, version)
    if count:
        raise BusinessError(_("Version %(version)d of this questionnaire already has %(n)d answers, and they keep "
                              "their questions. Make a new version (the “New version” button) and change that.",
                              version=version, n=count))


def check_questionnaire(item):
    if not (item.title or "").strip():
        raise BusinessError(_("Enter the questionnaire's title."))
    item.title = item.title.strip()
    if item.campaign is not None:
        if item.project is None:
            item.project = item.campaign.project
        elif item.project.id != item.campaign.project_id:
            raise BusinessError(_("The campaign “%(name)s” belongs to another project.", name=item.campaign.name))


def check_question_deletable(question):
    _refuse_if_answered(question.questionnaire_id, question.version)


def check_question(question):
    questionnaire = question.questionnaire
    if questionnaire is None:
        raise BusinessError(_("Choose the questionnaire."))
    if question.id is None:
        question.version = questionnaire.version
    elif question.version != questionnaire.version:
        raise BusinessError(_("This question belongs to an earlier version of the questionnaire; only the current "
                              "version can be changed."))
    _refuse_if_answered(questionnaire.id, question.version)
    if not (question.text or "").strip():
        raise BusinessError(_("Enter the question."))
    question.text = question.text.strip()
    if question.kind not in QUESTION_KINDS:
        raise BusinessError(_("Choose the kind of question."))
    choices = question.choices()
    if question.kind in ("single", "multiple"):
        if len(choices) < 2:
            raise BusinessError(_("A choice question needs at least two options, one per line."))
        if len(set(choices)) != len(choices):
            raise BusinessError(_("Each option may appear only once."))
        question.options = "\n".join(choices)
    else:
        question.options = None
    if question.position is None:
        question.position = 10


def new_version(questionnaire):
    """Copy the current questions into the next version, which becomes current."""
    if not response_count(questionnaire.id, questionnaire.version):
        raise BusinessError(_("The current version has no answers yet; change its questions directly."))
    old = questions(questionnaire)
    questionnaire.version += 1
    for q in old:
        db.session.add(Question(questionnaire_id=questionnaire.id, version=questionnaire.version, position=q.position,
                                text=q.text, kind=q.kind, required=q.required, options=q.options))
    db.session.commit()
    return questionnaire


def _clean(question, raw):
    """The answer rows' values for one question; [] when unanswered."""
    if isinstance(raw, (list, tuple)):
        values = [str(v).strip() for v in raw if str(v or "").strip()]
    else:
        values = [str(raw).strip()] if raw is not None and str(raw).strip() else []
    if not values:
        return []
    if question.kind == "text":
        text = "\n".join(values)
        if len(text) > TEXT_MAX:
            raise BusinessError(_("The answer to “%(q)s” may be at most %(n)d characters long.", q=question.text,
                                  n=TEXT_MAX))
        return [text]
    if question.kind == "rating":
        if len(values) != 1 or values[0] not in [str(n) for n in range(1, RATING_MAX + 1)]:
            raise BusinessError(_("Rate “%(q)s” from 1 to %(max)d.", q=question.text, max=RATING_MAX))
        return values
    choices = question.choices()
    if any(v not in choices for v in values):
        raise BusinessError(_("Choose the answer to “%(q)s” from its options.", q=question.text))
    if question.kind == "single" and len(values) > 1:
        raise BusinessError(_("Choose only one answer to “%(q)s”.", q=question.text))
    return list(dict.fromkeys(values))


def submit(questionnaire, answers, customer=None, visit=None, user=None, version=None, answered_at=None):
    """Record one filled-in questionnaire. `answers`: {question id: value or list of values}.
    Refuses (saving nothing) when a required question is left empty or an answer is not valid."""
    if not questionnaire.active:
        raise BusinessError(_("This questionnaire is no longer in use."))
    version = version or questionnaire.version
    if version != questionnaire.version:
        raise BusinessError(_("The questionnaire has changed since this form was opened; open it again."))
    if visit is not None and customer is not None and visit.customer_id != customer.id:
        raise BusinessError(_("The visit is another customer's."))
    asked = questions(questionnaire, version)
    if not asked:
        raise BusinessError(_("This questionnaire has no questions yet."))
    rows, missing = [], []
    for question in asked:
        raw = answers.get(question.id, answers.get(str(question.id)))
        values = _clean(question, raw)
        if not values and question.required:
            missing.append(question.text)
        rows.extend((question.id, v) for v in values)
    if missing:
        raise BusinessError(_("Please answer the required questions: %(questions)s",
                              questions="；".join(missing)))
    if not rows:
        raise BusinessError(_("Nothing was answered."))
    if customer is None and visit is not None:
        customer = visit.customer
    channel_id = None
    if visit is not None:
        channel_id = visit.channel_id
    if channel_id is None and customer is not None:
        channel_id = customer.source_id
    response = QuestionnaireResponse(questionnaire_id=questionnaire.id, version=version,
                                     customer_id=getattr(customer, "id", None), visit_id=getattr(visit, "id", None),
                                     channel_id=channel_id, answered_at=answered_at or utcnow(),
                                     filled_by_id=getattr(user, "id", None))
    db.session.add(response)
    db.session.flush()
    db.session.execute(sa.insert(Answer), [{"response_id": response.id, "question_id": qid, "value": value}
                                           for qid, value in rows])
    db.session.commit()
    return response


def _percent(count, base):
    if not base:
        return None
    return (D(count) * 100 / base).quantize(D("0.1"), rounding=decimal.ROUND_HALF_UP)


def results(questionnaire, version=None, start=None, end=None, channel_id=None):
    """Per question of the version: respondents (responses answering it), and per option (or
    rating 1–5) the count and its percentage of those respondents; a rating's average; a text
    question's latest answers. Filters: answered between start and end (office dates), channel.
    Four queries, however many questions and answers."""
    version = version or questionnaire.version
    asked = questions(questionnaire, version)
    filters = [QuestionnaireResponse.questionnaire_id == questionnaire.id, QuestionnaireResponse.version == version,
               *moment_filters(QuestionnaireResponse.answered_at, start, end)]
    if channel_id:
        filters.append(QuestionnaireResponse.channel_id == channel_id)
    responses = db.session.query(sa.func.count(QuestionnaireResponse.id)).filter(*filters).scalar()
    counted = (db.session.query(Answer.question_id, Answer.value, sa.func.count(Answer.id))
               .join(QuestionnaireResponse, QuestionnaireResponse.id == Answer.response_id).filter(*filters)
               .group_by(Answer.question_id, Answer.value).all())
    respondents = dict(db.session.query(Answer.question_id, sa.func.count(sa.distinct(Answer.response_id)))
                       .join(QuestionnaireResponse, QuestionnaireResponse.id == Answer.response_id)
                       .filter(*filters).group_by(Answer.question_id).all())
    counts = {}
    for qid, value, count in counted:
        counts.setdefault(qid, {})[value] = count
    text_ids = [q.id for q in asked if q.kind == "text"]
    texts = {}
    if text_ids:
        ranked = (sa.select(Answer.question_id, Answer.value, QuestionnaireResponse.answered_at,
                            sa.func.row_number().over(partition_by=Answer.question_id,
                                                      order_by=(QuestionnaireResponse.answered_at.desc(),
                                                                Answer.id.desc())).label("n"))
                  .join(QuestionnaireResponse, QuestionnaireResponse.id == Answer.response_id)
                  .where(Answer.question_id.in_(text_ids), *filters).subquery())
        for qid, value, at, _n in db.session.execute(sa.select(ranked).where(ranked.c.n <= TEXTS_SHOWN)
                                                     .order_by(ranked.c.question_id, ranked.c.n)):
            texts.setdefault(qid, []).append((at, value))
    out = []
    for number, question in enumerate(asked, start=1):
        base = respondents.get(question.id, 0)
        mine = counts.get(question.id, {})
        item = {"number": number, "id": question.id, "text": question.text, "kind": question.kind,
                "kind_label": kind_label(question.kind), "required": question.required, "respondents": base,
                "options": [], "average": None, "texts": texts.get(question.id, [])}
        if question.kind in ("single", "multiple"):
            labels = question.choices()
        elif question.kind == "rating":
            labels = [str(n) for n in range(1, RATING_MAX + 1)]
            if base:
                total = sum(int(v) * c for v, c in mine.items() if v.isdigit())
                item["average"] = (D(total) / base).quantize(D("0.01"), rounding=decimal.ROUND_HALF_UP)
        else:
            labels = []
        item["options"] = [{"label": label, "count": mine.get(label, 0), "percent": _percent(mine.get(label, 0), base)}
                           for label in labels]
        out.append(item)
    return {"questionnaire": questionnaire, "version": version, "responses": responses, "questions": out}


def channel_choices():
    return (db.session.query(LookupValue).filter(LookupValue.list_code == "visit_channel")
            .order_by(LookupValue.sort_order, LookupValue.id).all())


def export_rows(result):
    """Rows for Excel: question, option, count, percentage (and a rating's average)."""
    rows = []
    for q in result["questions"]:
        if q["kind"] == "text":
            rows.append([q["number"], q["text"], q["kind_label"], "", q["respondents"], None])
            for _at, value in q["texts"]:
                rows.append([q["number"], q["text"], q["kind_label"], value, None, None])
            continue
        for option in q["options"]:
            rows.append([q["number"], q["text"], q["kind_label"], option["label"], option["count"],
                         option["percent"]])
        if q["average"] is not None:
            rows.append([q["number"], q["text"], q["kind_label"], _("Average"), None, q["average"]])
    return rows


def parse_day(value):
    try:
        return dt.date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None
