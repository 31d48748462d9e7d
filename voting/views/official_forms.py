"""The forms of the official pages (Flask-WTF: every form carries a CSRF token).

Forms only check shapes (lengths, required fields, numbers); the services
validate the meaning and their errors are shown on the page.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired
from wtforms import BooleanField
from wtforms import DateField
from wtforms import DateTimeLocalField
from wtforms import Form
from wtforms import FormField
from wtforms import IntegerField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from voting.models.jurisdictions import LANGUAGES
from voting.models.votedays import REVOTE_POLICIES

LANGUAGE_NAMES = {
    "de": "German",
    "fr": "French",
    "it": "Italian",
    "rm": "Romansh",
    "en": "English",
    "ko": "Korean",
}
TEXT_MAX = 4000


class TextsForm(Form):
    """One text per language; empty ones are left out."""

    de = StringField("German", validators=[Optional(), Length(max=TEXT_MAX)])
    fr = StringField("French", validators=[Optional(), Length(max=TEXT_MAX)])
    it = StringField("Italian", validators=[Optional(), Length(max=TEXT_MAX)])
    rm = StringField("Romansh", validators=[Optional(), Length(max=TEXT_MAX)])
    en = StringField("English", validators=[Optional(), Length(max=TEXT_MAX)])
    ko = StringField("Korean", validators=[Optional(), Length(max=TEXT_MAX)])


class ExplanationsForm(TextsForm):
    de = TextAreaField("German", validators=[Optional(), Length(max=TEXT_MAX)])
    fr = TextAreaField("French", validators=[Optional(), Length(max=TEXT_MAX)])
    it = TextAreaField("Italian", validators=[Optional(), Length(max=TEXT_MAX)])
    rm = TextAreaField("Romansh", validators=[Optional(), Length(max=TEXT_MAX)])
    en = TextAreaField("English", validators=[Optional(), Length(max=TEXT_MAX)])
    ko = TextAreaField("Korean", validators=[Optional(), Length(max=TEXT_MAX)])


def texts_of(field: FormField) -> dict[str, str]:
    """The non-empty texts of a :class:`TextsForm` field, by language."""
    return {
        language: str(field[language].data).strip()
        for language in LANGUAGES
        if field[language].data and str(field[language].data).strip()
    }


class VoteDayForm(FlaskForm):
    vote_day_id = StringField(
        "Identifier (also names the log)",
        validators=[DataRequired(), Length(min=3, max=64)],
        description="Lowercase letters, digits and hyphens, e.g. 2026-09-27-ch.",
    )
    date = DateField("Date", validators=[DataRequired()])
    revote_policy = SelectField(
        "Re-voting", choices=[SelectChoice(p, p.replace("-", " ")) for p in REVOTE_POLICIES]
    )
    min_electronic_ballots = IntegerField(
        "Minimum electronic ballots per published count",
        default=10,
        validators=[Optional(), NumberRange(min=0, max=10_000)],
        description="A unit with fewer electronic ballots is counted with the unit above it, "
        "so that no published count shows a few voters' choices (10 if left empty).",
    )
    titles = FormField(TextsForm, label="Title (at least one language)")
    return_code_authorities = TextAreaField(
        "Return-code authorities (return codes; first-counts only)",
        validators=[Optional(), Length(max=20_000)],
        description="Leave empty for no return codes. Otherwise one authority per line, at "
        "least four: its name, its public key (64 hex digits) as its operator gave it to you, "
        "and the address where the server reaches it, separated by spaces.",
    )


def authorities_of(text: str | None) -> list[dict[str, str]] | None:
    """The return-code authorities typed in the form (``name key url`` per line), or None.

    The shapes are checked by the service (:func:`voting.services.votedays.check_authorities`).
    """
    lines = [line.split() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return None
    fields = ("name", "key", "url")
    return [dict(zip(fields, parts, strict=False)) for parts in lines]


class QuestionForm(FlaskForm):
    key = StringField(
        "Key",
        validators=[DataRequired(), Length(max=64)],
        description="Lowercase letters, digits, - or _; unique on the vote day.",
    )
    jurisdiction = StringField(
        "Jurisdiction", validators=[DataRequired(), Length(max=60)], description="level:code"
    )
    kind = SelectField(
        "Kind",
        choices=[
            SelectChoice("referendum", "Referendum (yes/no)"),
            SelectChoice("initiative", "Popular initiative (yes/no)"),
            SelectChoice("consultation", "Consultation (choice among options)"),
        ],
    )
    rule = SelectField(
        "Rule",
        choices=[
            SelectChoice("", "default (referendum: popular majority; initiative: double)"),
            SelectChoice("popular-majority", "popular majority"),
            SelectChoice("absolute-majority", "absolute majority"),
            SelectChoice("double-majority", "double majority (people and cantons)"),
            SelectChoice("consultative", "consultative"),
        ],
        validators=[Optional()],
    )
    titles = FormField(TextsForm, label="Title (at least one language)")
    explanations = FormField(ExplanationsForm, label="Explanation (optional)")
    recommendation = StringField(
        "Authorities' recommendation",
        validators=[Optional(), Length(max=64)],
        description="An option id (yes, no, or a consultation option), or empty.",
    )
    options = TextAreaField(
        "Options of a consultation",
        validators=[Optional(), Length(max=TEXT_MAX)],
        description="One per line: id: text (the text in the language chosen below).",
    )
    options_language = SelectField(
        "Language of the option texts",
        choices=[SelectChoice(lang, LANGUAGE_NAMES[lang]) for lang in LANGUAGES],
    )
    max_selections = IntegerField(
        "Most options a voter may choose (consultation)",
        validators=[Optional(), NumberRange(min=1, max=64)],
    )
    turnout_quorum = StringField(
        "Turnout quorum", validators=[Optional(), Length(max=16)], description='e.g. "1/4"'
    )
    approval_quorum = StringField(
        "Approval quorum", validators=[Optional(), Length(max=16)], description='e.g. ">1/2"'
    )


class CounterProposalForm(FlaskForm):
    jurisdiction = StringField(
        "Jurisdiction", validators=[DataRequired(), Length(max=60)], description="level:code"
    )
    initiative_key = StringField("Initiative key", validators=[DataRequired(), Length(max=64)])
    counter_key = StringField("Counter-proposal key", validators=[DataRequired(), Length(max=64)])
    tiebreak_key = StringField("Tie-break key", validators=[DataRequired(), Length(max=64)])
    initiative_titles = FormField(TextsForm, label="Title of the initiative")
    counter_titles = FormField(TextsForm, label="Title of the counter-proposal")
    tiebreak_titles = FormField(TextsForm, label="Title of the tie-break question")


class UploadForm(FlaskForm):
    upload = FileField("File", validators=[FileRequired()])


class CeremonyForm(FlaskForm):
    trustees = TextAreaField(
        "Trustees (one user name per line)",
        validators=[DataRequired(), Length(max=64 * 66)],
        description="Each trustee logs in with this user name to take part.",
    )
    threshold = IntegerField(
        "Threshold (trustees needed to decrypt)",
        validators=[DataRequired(), NumberRange(min=1, max=64)],
    )

    def trustee_names(self) -> list[str]:
        return [line.strip() for line in (self.trustees.data or "").splitlines() if line.strip()]


class ActionForm(FlaskForm):
    """A button: only the CSRF token."""


class ConfirmForm(FlaskForm):
    """A button for a step that cannot be undone: the official ticks that they mean it.

    Checked on the server (no script needed), so a stray click, a double
    submission or a forged form without the box changes nothing.
    """

    confirm = BooleanField(
        "I understand that this cannot be undone.",
        validators=[DataRequired("tick the box to confirm: this step cannot be undone")],
    )


def _zone(_form: FlaskForm, field: StringField) -> None:
    try:
        zoneinfo.ZoneInfo(str(field.data))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"unknown time zone {field.data!r}") from exc


class ScheduleForm(FlaskForm):
    opens_at = DateTimeLocalField("Opens at", validators=[Optional()])
    closes_at = DateTimeLocalField("Closes at", validators=[Optional()])
    zone = StringField(
        "Time zone", default="Europe/Zurich", validators=[DataRequired(), Length(max=64), _zone]
    )

    def aware(self, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=zoneinfo.ZoneInfo(str(self.zone.data)))


class ClerkKeyForm(FlaskForm):
    unit = StringField(
        "Unit", validators=[DataRequired(), Length(max=60)], description="level:code"
    )
    public_key = StringField(
        "Public key (64 hex digits)",
        validators=[DataRequired(), Length(min=64, max=64)],
        description="Printed by: python -m voting.clerk public-key --key clerk.key",
    )
