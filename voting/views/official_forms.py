"""The forms of the official pages (Flask-WTF: every form carries a CSRF token).

Forms only check shapes (lengths, required fields, numbers); the services
validate the meaning and their errors are shown on the page. Labels and
descriptions are lazy gettext strings: a form is rendered in the page's
language (WTForms' own messages, "This field is required.", come translated
through Flask-WTF). Scheduled times are the browser's ``datetime-local``
fields, read in the time zone named next to them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from flask import current_app
from flask_babel import lazy_gettext as _
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
    "de": _("German"),
    "fr": _("French"),
    "it": _("Italian"),
    "rm": _("Romansh"),
    "en": _("English"),
    "ko": _("Korean"),
}
"""The languages of texts officials enter, named in the page's language."""
TEXT_MAX = 4000
UNIT_HELP = _("level:code, e.g. canton:ZH")


def _text(language: str) -> StringField:
    return StringField(
        LANGUAGE_NAMES[language],
        validators=[Optional(), Length(max=TEXT_MAX)],
        render_kw={"lang": language},
    )


def _area(language: str) -> TextAreaField:
    return TextAreaField(
        LANGUAGE_NAMES[language],
        validators=[Optional(), Length(max=TEXT_MAX)],
        render_kw={"lang": language},
    )


class TextsForm(Form):
    """One text per language; empty ones are left out (each input says its language)."""

    de = _text("de")
    fr = _text("fr")
    it = _text("it")
    rm = _text("rm")
    en = _text("en")
    ko = _text("ko")


class ExplanationsForm(TextsForm):
    de = _area("de")
    fr = _area("fr")
    it = _area("it")
    rm = _area("rm")
    en = _area("en")
    ko = _area("ko")


def texts_of(field: FormField) -> dict[str, str]:
    """The non-empty texts of a :class:`TextsForm` field, by language."""
    return {
        language: str(field[language].data).strip()
        for language in LANGUAGES
        if field[language].data and str(field[language].data).strip()
    }


REVOTE_NAMES = {
    "first-counts": _("the first ballot counts"),
    "last-counts": _("the last ballot counts"),
}
"""The re-voting policies in words (docs/spec.md)."""


class VoteDayForm(FlaskForm):
    vote_day_id = StringField(
        _("Identifier (also names the log)"),
        validators=[DataRequired(), Length(min=3, max=64)],
        description=_("Lowercase letters, digits and hyphens, e.g. 2026-09-27-ch."),
    )
    date = DateField(_("Date"), validators=[DataRequired()])
    revote_policy = SelectField(
        _("Re-voting"), choices=[SelectChoice(p, REVOTE_NAMES.get(p, p)) for p in REVOTE_POLICIES]
    )
    min_electronic_ballots = IntegerField(
        _("Minimum electronic ballots per published count"),
        default=10,
        validators=[Optional(), NumberRange(min=0, max=10_000)],
        description=_(
            "A unit with fewer electronic ballots is counted with the unit above it, "
            "so that no published count shows a few voters' choices (10 if left empty)."
        ),
    )
    titles = FormField(TextsForm, label=_("Title (at least one language)"))
    return_code_authorities = TextAreaField(
        _("Return-code authorities (return codes; first-counts only)"),
        validators=[Optional(), Length(max=20_000)],
        description=_(
            "Leave empty for no return codes. Otherwise one authority per line, at "
            "least four: its name, its public key (64 hex digits) as its operator gave it to you, "
            "and the address where the server reaches it, separated by spaces."
        ),
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
        _("Key"),
        validators=[DataRequired(), Length(max=64)],
        description=_("Lowercase letters, digits, - or _; unique on the vote day."),
    )
    jurisdiction = StringField(
        _("Jurisdiction"), validators=[DataRequired(), Length(max=60)], description=UNIT_HELP
    )
    kind = SelectField(
        _("Kind"),
        choices=[
            SelectChoice("referendum", _("Referendum (yes/no)")),
            SelectChoice("initiative", _("Popular initiative (yes/no)")),
            SelectChoice("consultation", _("Consultation (choice among options)")),
        ],
    )
    rule = SelectField(
        _("Rule"),
        choices=[
            SelectChoice("", _("the kind's default")),
            SelectChoice("popular-majority", _("popular majority")),
            SelectChoice("absolute-majority", _("absolute majority")),
            SelectChoice("double-majority", _("double majority (people and cantons)")),
            SelectChoice("consultative", _("consultative")),
        ],
        validators=[Optional()],
        description=_(
            "By default a referendum needs the popular majority, an initiative the double "
            "majority (people and cantons)."
        ),
    )
    titles = FormField(TextsForm, label=_("Title (at least one language)"))
    explanations = FormField(ExplanationsForm, label=_("Explanation (optional)"))
    recommendation = StringField(
        _("Authorities' recommendation"),
        validators=[Optional(), Length(max=64)],
        description=_("An option id (yes, no, or a consultation option), or empty."),
    )
    options = TextAreaField(
        _("Options of a consultation"),
        validators=[Optional(), Length(max=TEXT_MAX)],
        description=_("One per line: id: text (the text in the language chosen below)."),
    )
    options_language = SelectField(
        _("Language of the option texts"),
        choices=[SelectChoice(lang, LANGUAGE_NAMES[lang]) for lang in LANGUAGES],
    )
    max_selections = IntegerField(
        _("Most options a voter may choose (consultation)"),
        validators=[Optional(), NumberRange(min=1, max=64)],
    )
    turnout_quorum = StringField(
        _("Turnout quorum"),
        validators=[Optional(), Length(max=16)],
        description=_("e.g. %(example)s", example="1/4"),
    )
    approval_quorum = StringField(
        _("Approval quorum"),
        validators=[Optional(), Length(max=16)],
        description=_("e.g. %(example)s", example=">1/2"),
    )


class CounterProposalForm(FlaskForm):
    jurisdiction = StringField(
        _("Jurisdiction"), validators=[DataRequired(), Length(max=60)], description=UNIT_HELP
    )
    initiative_key = StringField(_("Initiative key"), validators=[DataRequired(), Length(max=64)])
    counter_key = StringField(
        _("Counter-proposal key"), validators=[DataRequired(), Length(max=64)]
    )
    tiebreak_key = StringField(_("Tie-break key"), validators=[DataRequired(), Length(max=64)])
    initiative_titles = FormField(TextsForm, label=_("Title of the initiative"))
    counter_titles = FormField(TextsForm, label=_("Title of the counter-proposal"))
    tiebreak_titles = FormField(TextsForm, label=_("Title of the tie-break question"))


class UploadForm(FlaskForm):
    upload = FileField(_("File"), validators=[FileRequired(_("Choose a file."))])


class CeremonyForm(FlaskForm):
    trustees = TextAreaField(
        _("Trustees (one user name per line)"),
        validators=[DataRequired(), Length(max=64 * 66)],
        description=_("Each trustee logs in with this user name to take part."),
    )
    threshold = IntegerField(
        _("Threshold (trustees needed to decrypt)"),
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
        _("I understand that this cannot be undone."),
        validators=[DataRequired(_("tick the box to confirm: this step cannot be undone"))],
    )


def _zone(_form: FlaskForm, field: StringField) -> None:
    try:
        zoneinfo.ZoneInfo(str(field.data))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("unknown time zone %(zone)s", zone=repr(field.data))) from exc


ISO_MINUTES = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
"""What ``datetime-local`` inputs send (ISO 8601 local time; the first is how one is
filled in)."""


def site_zone() -> zoneinfo.ZoneInfo:
    """The site's time zone (``BABEL_DEFAULT_TIMEZONE``), from the system's zone data.

    Not Flask-Babel's ``get_timezone()``: pytz zones stop at 2038 (no summer time after).
    """
    return zoneinfo.ZoneInfo(str(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC"))


def _site_zone_name() -> str:
    return str(site_zone())


class ScheduleForm(FlaskForm):
    """The opening and closing times: native ``datetime-local`` inputs (ISO values,
    ``2026-06-14T08:00``, whatever the browser shows), read in ``zone`` (the site's time
    zone, ``BABEL_DEFAULT_TIMEZONE``, unless the official names another)."""

    opens_at = DateTimeLocalField(
        _("Opens at"), format=ISO_MINUTES, tz=site_zone, validators=[Optional()]
    )
    closes_at = DateTimeLocalField(
        _("Closes at"), format=ISO_MINUTES, tz=site_zone, validators=[Optional()]
    )
    zone = StringField(
        _("Time zone of these times"),
        default=_site_zone_name,
        validators=[DataRequired(), Length(max=64), _zone],
        description=_("An IANA time zone, e.g. Europe/Zurich or Asia/Seoul."),
    )

    def aware(self, value: dt.datetime | None) -> dt.datetime | None:
        """``value`` (as typed: a wall-clock time) in the time zone the official named."""
        if value is None:
            return None
        return value.replace(tzinfo=zoneinfo.ZoneInfo(str(self.zone.data)))


class ClerkKeyForm(FlaskForm):
    unit = StringField(
        _("Unit"), validators=[DataRequired(), Length(max=60)], description=UNIT_HELP
    )
    public_key = StringField(
        _("Public key (64 hex digits)"),
        validators=[DataRequired(), Length(min=64, max=64)],
        description=_(
            "Printed by: %(command)s", command="python -m voting.clerk public-key --key clerk.key"
        ),
    )
