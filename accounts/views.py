from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from accounts.actions import (
    SignUpError,
    do_confirm_registration,
    do_request_registration,
    read_sign_up_token,
)
from accounts.forms import LoginForm, PasswordResetForm, RegistrationForm


def _address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def register(request: HttpRequest) -> HttpResponse:
    """Sign-up: whether the address had an account or not, the same « check your mailbox »
    page (accounts.actions.do_request_registration)."""
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            do_request_registration(
                form.cleaned_data,
                ip=_address(request),
                site_url=request.build_absolute_uri("/").rstrip("/"),
            )
        except SignUpError as error:
            form.add_error(None, str(error.message))
        else:
            return redirect("accounts:register_sent")
    return render(request, "accounts/register.html", {"form": form})


def register_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the activation e-mail. Opening it changes nothing (mail scanners open
    links): the button posts, creates the account and logs its owner in."""
    try:
        sign_up = read_sign_up_token(token)
        if request.method == "POST":
            user = do_confirm_registration(token)
            login(request, user, backend="accounts.backends.EmailBackend")
            messages.success(request, _("Votre compte a été créé."))
            return redirect("home")
    except SignUpError as error:
        return render(
            request, "accounts/register_confirm.html", {"error": error.message}, status=error.status
        )
    return render(request, "accounts/register_confirm.html", {"email": sign_up["email"]})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def get_form_kwargs(self) -> dict[str, Any]:
        # The form counts requests per address (lock-out).
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
