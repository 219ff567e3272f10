"""Account pages: sign up, sign in and out, the account page, password reset."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext, refresh
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from marketplace.accounts import services, sessions
from marketplace.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LanguageForm,
    NewTokenForm,
    ResetPasswordForm,
    SignInForm,
    SignUpForm,
)
from marketplace.accounts.limits import (
    address_and_account,
    address_limit,
    failed_login,
    login_limit,
    mark_failed_login,
)
from marketplace.accounts.models import User
from marketplace.errors import AppError, Gone
from marketplace.extensions import limiter
from marketplace.i18n import current_language
from marketplace.membership import services as membership
from marketplace.web_support import form_status, safe_next_url, show_error_on_form

bp = Blueprint("accounts", __name__)


def _sign_in(user: User, remember: bool = False) -> None:
    """Open a server-side session and put its key, never the user id, in the cookies."""
    login_user(sessions.start_session(user, request.user_agent.string), remember=remember)
    # From here on this request speaks the account's language (its welcome message too).
    refresh()


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = services.sign_up(
                form.email.data or "",
                form.password.data or "",
                form.display_name.data or "",
                locale=current_language(),
            )
        except AppError as error:
            show_error_on_form(form, error)
        else:
            _sign_in(user)
            flash(
                gettext("Welcome, %(name)s! Your account is ready.", name=user.display_name),
                "success",
            )
            return redirect(url_for("main.home"))
    return render_template("accounts/signup.html", form=form), form_status(form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    login_limit, methods=["POST"], key_func=address_and_account, deduct_when=failed_login
)
@limiter.limit(address_limit, methods=["POST"], deduct_when=failed_login)
def login() -> Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data or "", form.password.data or "")
        except AppError as error:
            mark_failed_login()
            show_error_on_form(form, error)
        else:
            _sign_in(user, remember=bool(form.remember.data))
            flash(gettext("Signed in as %(name)s.", name=user.display_name), "success")
            return redirect(safe_next_url(url_for("main.home")))
    return render_template("accounts/login.html", form=form), form_status(form, 401)


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        sessions.end_session(current_user.sign_in_session_id)
    logout_user()
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("main.home"))


def _account_page(
    password_form: ChangePasswordForm | None = None,
    token_form: NewTokenForm | None = None,
    new_token: str | None = None,
) -> str:
    """The account page; a form given here comes back with what the person typed and its errors."""
    return render_template(
        "accounts/account.html",
        password_form=password_form or ChangePasswordForm(formdata=None),
        token_form=token_form or NewTokenForm(formdata=None),
        language_form=LanguageForm(formdata=None, language=current_user.locale or ""),
        tokens=services.list_api_tokens(current_user),
        sign_in_sessions=sessions.live_sessions(current_user),
        applications=membership.applications_of(current_user),
        new_token=new_token,
    )


@bp.get("/account")
@login_required
def account() -> str:
    return _account_page()


@bp.post("/account/password")
@login_required
def change_password() -> Response | tuple[str, int]:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                form.current_password.data or "",
                form.new_password.data or "",
                keep_session_id=current_user.sign_in_session_id,
            )
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(
                gettext("Your password was changed. Other devices have been signed out."), "success"
            )
            return redirect(url_for("accounts.account"))
    return _account_page(password_form=form), 422


@bp.post("/account/language")
@login_required
def choose_language() -> Response | tuple[str, int]:
    form = LanguageForm()
    if not form.validate_on_submit():
        return _account_page(), 422
    services.choose_language(current_user, form.language.data or None)
    # This request chose its language before the change: the message is in the new one.
    refresh()
    flash(gettext("Your language is saved."), "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions() -> Response:
    ended = sessions.end_other_sessions(current_user, current_user.sign_in_session_id)
    flash(
        ngettext(
            "Signed out on %(num)d other device; this one stays signed in.",
            "Signed out on %(num)d other devices; this one stays signed in.",
            ended,
        ),
        "success",
    )
    return redirect(url_for("accounts.account"))


@bp.post("/account/tokens")
@login_required
def create_token() -> tuple[str, int]:
    form = NewTokenForm()
    if not form.validate_on_submit():
        return _account_page(token_form=form), 422
    _, new_token = services.issue_api_token(current_user, form.name.data or "")
    return _account_page(new_token=new_token), 201


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    token = services.revoke_api_token(current_user, token_id)
    flash(gettext("The token “%(name)s” was revoked.", name=token.name), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password() -> Response | tuple[str, int]:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data or "")
        flash(
            gettext(
                "If an account uses that address, we have emailed it a link to reset the password."
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form), form_status(form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | tuple[str, int]:
    try:
        services.check_reset_token(token)
    except AppError as error:
        status = 410 if isinstance(error, Gone) else 400
        return render_template("accounts/reset_invalid.html", message=error.message), status
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data or "")
        except AppError as error:
            show_error_on_form(form, error)
        else:
            _sign_in(user)
            flash(gettext("Your new password is set, and you are signed in."), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/reset_password.html", form=form), form_status(form)
