"""Marketing (市场营销): campaigns with their cost plan and spending, the campaign a visit came
through, event sign-up, and questionnaires with their versions and answers."""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import deferred, relationship

from app.core.models import Audited
from app.core.models.base import utcnow

CAMPAIGN_KINDS = ("opening", "warm_up", "advertising", "channel", "referral", "exhibition", "other")
COST_STATUSES = ("counted", "pending", "rejected")
QUESTION_KINDS = ("single", "multiple", "text", "rating")
RATING_MAX = 5


class Campaign(Audited, Model):
    """A campaign (营销活动) of one project: what, when, through which channel, aiming at what."""
    __tablename__ = "marketing_campaign"
    __table_args__ = (sa.UniqueConstraint("project_id", "name", name="uq_marketing_campaign_name"),)
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    name = sa.Column(sa.String(100), nullable=False)
    kind = sa.Column(sa.String(20), nullable=False, default="opening")
    # The channel (来访渠道) whose visitors the campaign brings; its spending counts for that channel.
    channel_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"), index=True)
    channel = relationship("LookupValue", lazy="joined")
    start_date = sa.Column(sa.Date, nullable=False)
    end_date = sa.Column(sa.Date, nullable=False)
    target_visits = sa.Column(sa.Integer)
    target_deals = sa.Column(sa.Integer)
    description = sa.Column(sa.String(500))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    def __str__(self):
        return self.name


class CampaignBudget(Audited, Model):
    """One line of a campaign's cost plan (费用计划): the amount planned for one expense type."""
    __tablename__ = "marketing_campaign_budget"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "cost_type_id", name="uq_marketing_budget_type"),)
    id = sa.Column(sa.Integer, primary_key=True)
    campaign_id = sa.Column(sa.Integer, sa.ForeignKey("marketing_campaign.id"), nullable=False, index=True)
    campaign = relationship("Campaign", lazy="joined", innerjoin=True)
    cost_type_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"), nullable=False)
    cost_type = relationship("LookupValue", lazy="joined", innerjoin=True)
    amount = sa.Column(sa.Numeric(14, 2), nullable=False)
    note = sa.Column(sa.String(200))

    def __str__(self):
        return "%s · %s" % (self.campaign, self.cost_type)


class CampaignCost(Audited, Model):
    """An actual spending entry (费用支出). Within the plan it counts at once ("counted"); beyond
    the plan it waits for approval ("pending") and counts only once approved."""
    __tablename__ = "marketing_campaign_cost"
    id = sa.Column(sa.Integer, primary_key=True)
    campaign_id = sa.Column(sa.Integer, sa.ForeignKey("marketing_campaign.id"), nullable=False, index=True)
    campaign = relationship("Campaign", lazy="joined", innerjoin=True)
    cost_type_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"), nullable=False)
    cost_type = relationship("LookupValue", lazy="joined", innerjoin=True)
    spent_on = sa.Column(sa.Date, nullable=False)
    amount = sa.Column(sa.Numeric(14, 2), nullable=False)
    payee = sa.Column(sa.String(100), nullable=False)
    invoice_no = sa.Column(sa.String(50))
    note = sa.Column(sa.String(200))
    attachment = deferred(sa.Column(sa.LargeBinary))
    attachment_name = sa.Column(sa.String(200))
    attachment_type = sa.Column(sa.String(100))
    status = sa.Column(sa.String(10), nullable=False, default="counted")
    approval_id = sa.Column(sa.Integer, sa.ForeignKey("approval_request.id"))
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    def __str__(self):
        return "%s · %s · %s" % (self.campaign, self.cost_type, self.spent_on)


class CampaignVisit(Model):
    """The campaign a CRM visit came through (one campaign per visit)."""
    __tablename__ = "marketing_campaign_visit"
    visit_id = sa.Column(sa.Integer, sa.ForeignKey("customer_visit.id", ondelete="CASCADE"), primary_key=True)
    campaign_id = sa.Column(sa.Integer, sa.ForeignKey("marketing_campaign.id"), nullable=False, index=True)


class CampaignAttendee(Audited, Model):
    """Someone signed up for a campaign event (活动报名), and whether they came."""
    __tablename__ = "marketing_campaign_attendee"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "customer_id", name="uq_marketing_attendee"),)
    id = sa.Column(sa.Integer, primary_key=True)
    campaign_id = sa.Column(sa.Integer, sa.ForeignKey("marketing_campaign.id"), nullable=False, index=True)
    campaign = relationship("Campaign", lazy="joined", innerjoin=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship("Customer", lazy="joined", innerjoin=True)
    new_customer = sa.Column(sa.Boolean, nullable=False, default=False)
    registered_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    registered_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    attended_at = sa.Column(sa.DateTime)
    visit_id = sa.Column(sa.Integer, sa.ForeignKey("customer_visit.id"))


class Questionnaire(Audited, Model):
    """A questionnaire (问卷) of a project or a campaign. `version` is the current set of
    questions; answers keep the version they were given to."""
    __tablename__ = "marketing_questionnaire"
    id = sa.Column(sa.Integer, primary_key=True)
    title = sa.Column(sa.String(100), nullable=False)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), index=True)
    project = relationship("Project", lazy="joined")
    campaign_id = sa.Column(sa.Integer, sa.ForeignKey("marketing_campaign.id"), index=True)
    campaign = relationship("Campaign", lazy="joined")
    description = sa.Column(sa.String(500))
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    version = sa.Column(sa.Integer, nullable=False, default=1)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    def __str__(self):
        return self.title


class Question(Audited, Model):
    """One question of one version of a questionnaire; choices one per line."""
    __tablename__ = "marketing_question"
    __table_args__ = (sa.Index("ix_marketing_question_version", "questionnaire_id", "version", "position"),)
    id = sa.Column(sa.Integer, primary_key=True)
    questionnaire_id = sa.Column(sa.Integer, sa.ForeignKey("marketing_questionnaire.id"), nullable=False)
    questionnaire = relationship("Questionnaire", lazy="joined", innerjoin=True)
    version = sa.Column(sa.Integer, nullable=False, default=1)
    position = sa.Column(sa.Integer, nullable=False, default=10)
    text = sa.Column(sa.String(300), nullable=False)
    kind = sa.Column(sa.String(10), nullable=False, default="single")
    required = sa.Column(sa.Boolean, nullable=False, default=True)
    options = sa.Column(sa.Text)

    def choices(self):
        return [line.strip() for line in (self.options or "").splitlines() if line.strip()]

    def __str__(self):
        return self.text


class QuestionnaireResponse(Model):
    """One filled-in questionnaire: for whom, at which visit, through which channel."""
    __tablename__ = "marketing_response"
    __table_args__ = (sa.Index("ix_marketing_response_version", "questionnaire_id", "version", "answered_at"),)
    id = sa.Column(sa.Integer, primary_key=True)
    questionnaire_id = sa.Column(sa.Integer, sa.ForeignKey("marketing_questionnaire.id"), nullable=False)
    version = sa.Column(sa.Integer, nullable=False)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customer.id"), index=True)
    visit_id = sa.Column(sa.Integer, sa.ForeignKey("customer_visit.id"))
    channel_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    answered_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    filled_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))


class Answer(Model):
    """One answer: a chosen option (one row per option of a multiple choice), a rating or a text."""
    __tablename__ = "marketing_answer"
    id = sa.Column(sa.Integer, primary_key=True)
    response_id = sa.Column(sa.Integer, sa.ForeignKey("marketing_response.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    question_id = sa.Column(sa.Integer, sa.ForeignKey("marketing_question.id"), nullable=False, index=True)
    value = sa.Column(sa.String(1000), nullable=False)


__all__ = ["CAMPAIGN_KINDS", "COST_STATUSES", "QUESTION_KINDS", "RATING_MAX", "Campaign", "CampaignBudget",
           "CampaignCost", "CampaignVisit", "CampaignAttendee", "Questionnaire", "Question",
           "QuestionnaireResponse", "Answer"]
