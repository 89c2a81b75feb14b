"""A strict Content-Security-Policy on every HTML page (docs/security.md).

Pages load only their own JavaScript and style sheets: no inline `<script>`, no `style=`
attribute, no `eval`; server data reaches scripts through `json_script` (a JSON block,
which a CSP does not execute). A response that already carries its own policy keeps it:
the item bank's simulators are served with a sandbox policy of their own.

`form-action` also lists the configured identity providers' origins (accounts/origins.py):
« Se connecter avec … » and « Se déconnecter » post to Vigie, which redirects there, and
Chromium checks every redirect of a form against it.
"""

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

from accounts.origins import provider_origins

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "frame-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    """Sync and async capable (MiddlewareMixin), so ASGI requests stay on the event loop."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html") and "Content-Security-Policy" not in response:
            origins = provider_origins()
            policy = CONTENT_SECURITY_POLICY
            if origins:
                policy = policy.replace(
                    "form-action 'self'", f"form-action 'self' {' '.join(origins)}"
                )
            response["Content-Security-Policy"] = policy
        return response
