"""Django's template backend, leaving no reference cycle behind a render.

Each `Context.push()` or `update()` makes a `ContextDict` that the context lists and that
points back to the context: a cycle. Every page, partial and e-mail rendered with Django's
backend thus left its whole context — the rows of the Espace Surveillant, their tags,
candidates, courses and sessions, the request — for the garbage collector (with the
one-to-one caches cut in invigilation/state.py: 1,351 objects per re-read of a
40-candidate session's rows before, 9 after, bench/gc_garbage.py), and each such object
brings the next young collection nearer (docs/scaling.md, « Cycles cut at the source »). This backend renders exactly as
Django's does, then empties the context's list of dicts, which frees it when the render
returns.

It replaces `django.template.backends.django.Template.render` and relies on
`make_context` and `reraise`, neither documented: tests/test_private_apis.py fails by
name if an upgrade changes them.
"""

from typing import Any

from django.template import TemplateDoesNotExist
from django.template.backends.django import (  # type: ignore[attr-defined] # not in the stubs
    DjangoTemplates,
    Template,
    reraise,
)
from django.template.context import make_context


class _Template(Template):
    def render(self, context: Any = None, request: Any = None) -> Any:
        context = make_context(context, request, autoescape=self.backend.engine.autoescape)
        try:
            return self.template.render(context)
        except TemplateDoesNotExist as exc:
            reraise(exc, self.backend)
        finally:
            # The ContextDicts point back to the context: out of its list, nothing does.
            context.dicts.clear()


class Templates(DjangoTemplates):
    def from_string(self, template_code: str) -> _Template:
        return _Template(self.engine.from_string(template_code), self)

    def get_template(self, template_name: str) -> _Template:
        try:
            return _Template(self.engine.get_template(template_name), self)
        except TemplateDoesNotExist as exc:
            reraise(exc, self)
