"""A form body Django cannot parse is the client's fault: 400 with a French message.

A multipart POST without a boundary (or with a malformed one, or a malformed part) raised
`MultiPartParserError` wherever the body was first read: in the CSRF check, django-ninja's
file parameters or a form. Django answers it 400 with its English page — and, with DEBUG
on, its debug page read the body again and failed: a 500 (issue 13). This middleware, placed
before the CSRF check, reads the form body of every multipart request once, and answers
a body it cannot parse at once: JSON under /api/, a French page elsewhere. A body that
parses is parsed once, as it would have been anyway.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from vigie.errors import standalone_page


class UnreadableBodyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method == "POST" and content_type.lower().startswith("multipart/"):
            try:
                request.POST  # noqa: B018 - reading it parses the body (and the files)
            except MultiPartParserError:
                return unreadable_body(request)
        return self.get_response(request)


def unreadable_body(request: HttpRequest) -> HttpResponse:
    detail = _(
        "Le contenu envoyé est illisible (formulaire ou fichier mal formé). Rechargez la "
        "page et envoyez-le à nouveau."
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail, "code": "unreadable_body"}, status=400)
    return HttpResponse(
        standalone_page(_("Envoi illisible"), detail, back=request.path), status=400
    )
