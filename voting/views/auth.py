"""Officials' login, logout and account page (docs/security.md).

At login the old session is cleared and a new server-side session token is
issued (no session fixation); logout deletes the server-side session too.
"""

from __future__ import annotations

import time

from flask import Blueprint
from flask import current_app
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms import PasswordField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from voting.app.extensions import db
from voting.errors import AuthenticationFailed
from voting.errors import TooManyAttempts
from voting.services import officials
from voting.views._auth import SESSION_SEEN
from voting.views._auth import SESSION_TOKEN
from voting.views._auth import current_official
from voting.views._auth import official_required
from voting.views._auth import safe_next
from voting.views.citizen_limits import client_key

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("User name", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST so other sites cannot force it."""


def _policy() -> officials.LoginPolicy:
    return current_app.config.get("URNA_LOGIN_POLICY") or officials.LoginPolicy()


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _login_page(form, None, status)
    try:
        _official, token = officials.log_in(
            db.session,
            form.username.data or "",
            form.password.data or "",
            address_key=client_key("login-ip"),
            policy=_policy(),
        )
    except TooManyAttempts as exc:
        minutes = max(1, -(-exc.retry_after // 60))
        error = _(
            "Too many login attempts. Please wait %(minutes)s minutes and try again.",
            minutes=minutes,
        )
        response = current_app.make_response(_login_page(form, error, 429))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except AuthenticationFailed:
        return _login_page(form, _("Wrong user name or password."), 401)
    old = session.get(SESSION_TOKEN)
    if isinstance(old, str):
        officials.end_session(db.session, old)
    _clear_session()  # (1) drop everything of the anonymous session, its CSRF secret too
    session[SESSION_TOKEN] = token  # (2) a fresh server-side session
    session[SESSION_SEEN] = int(time.time())
    return redirect(safe_next(form.next.data) or url_for("auth.account"), code=303)


def _login_page(form: LoginForm, error: str | None, status: int) -> ResponseReturnValue:
    form.password.data = None  # never sent back
    return render_template(
        "auth/login.html",
        form=form,
        error=error,
        official=current_official(),
        logout_form=LogoutForm(),
    ), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    LogoutForm()  # the CSRF check already ran for every POST
    token = session.get(SESSION_TOKEN)
    if isinstance(token, str):
        officials.end_session(db.session, token)
    _clear_session()
    return redirect(url_for("auth.login"), code=303)


def _clear_session() -> None:
    session.clear()
    # Flask-WTF caches this request's signed token in g; it belongs to the old secret.
    g.pop(current_app.config["WTF_CSRF_FIELD_NAME"], None)


@bp.get("/officials/account")
@official_required(None)
def account() -> ResponseReturnValue:
    return render_template(
        "auth/account.html", official=current_official(), logout_form=LogoutForm()
    )
