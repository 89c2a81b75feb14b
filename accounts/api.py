from django.contrib.auth import login
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Router, Schema, Status

from accounts.actions import (
    SignUpError,
    TooManySignUps,
    do_confirm_registration,
    do_request_registration,
)
from accounts.forms import RegistrationForm
from lib.errors import FormInvalid
from lib.freetext import Line

router = Router(tags=["accounts"])

SIGN_UP_SENT = gettext_lazy(
    "Vérifiez votre boîte mail : un e-mail vient d'être envoyé à l'adresse indiquée. "
    "Ouvrez le lien qu'il contient pour activer votre compte."
)


class RegistrationIn(Schema):
    first_name: Line
    last_name: Line
    email: Line
    password: Line
    accept_terms: bool


class ActivationIn(Schema):
    token: Line


class UserOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str


class MessageOut(Schema):
    detail: str
    code: str | None = None  # absent on django-ninja's own 400 (a body it cannot parse)


@router.post(
    "/register", auth=None, response={202: MessageOut, 429: MessageOut}, url_name="register"
)
def register(request: HttpRequest, payload: RegistrationIn) -> Status[object]:
    """Sign-up: 202 and the same body whether the address has an account or not; the owner
    of the address gets the activation link, or a warning when it already has an account."""
    form = RegistrationForm(payload.dict())
    if not form.is_valid():
        raise FormInvalid(form)
    try:
        do_request_registration(
            form.cleaned_data,
            ip=request.META.get("REMOTE_ADDR") or None,
            site_url=request.build_absolute_uri("/").rstrip("/"),
        )
    except TooManySignUps as error:
        return Status(429, {"detail": str(error.message), "code": error.code})
    return Status(202, {"detail": str(SIGN_UP_SENT), "code": "email_sent"})


@router.post(
    "/register/activate",
    auth=None,
    response={201: UserOut, 400: MessageOut, 409: MessageOut},
    url_name="register_activate",
)
def activate(request: HttpRequest, payload: ActivationIn) -> Status[object]:
    """The token of the activation link: creates the account and logs it in."""
    try:
        user = do_confirm_registration(payload.token)
    except SignUpError as error:
        return Status(error.status, {"detail": str(error.message), "code": error.code})
    login(request, user, backend="accounts.backends.EmailBackend")
    return Status(201, user)


@router.get("/me", response=UserOut)
def me(request: HttpRequest) -> object:
    return request.user
