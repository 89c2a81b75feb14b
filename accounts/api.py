from django.contrib.auth import login
from django.http import HttpRequest
from ninja import Router, Schema, Status

from accounts.actions import do_register
from accounts.forms import RegistrationForm
from lib.errors import FormInvalid

router = Router(tags=["accounts"])


class RegistrationIn(Schema):
    first_name: str
    last_name: str
    email: str
    password: str
    accept_terms: bool


class UserOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str


@router.post("/register", auth=None, response={201: UserOut})
def register(request: HttpRequest, payload: RegistrationIn) -> Status[object]:
    form = RegistrationForm(payload.dict())
    if not form.is_valid():
        raise FormInvalid(form)
    user = do_register(form.cleaned_data)
    login(request, user, backend="accounts.backends.EmailBackend")
    return Status(201, user)


@router.get("/me", response=UserOut)
def me(request: HttpRequest) -> object:
    return request.user
