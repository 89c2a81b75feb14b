from django.contrib import admin
from django.urls import include, path

from exams.views import home
from vigie.api import api
from vigie.health import healthz, readyz

# A database that cannot be reached answers 503, not 500 (vigie/errors.py).
handler500 = "vigie.errors.server_error"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("compte/", include("accounts.urls")),
    path("certification/", include("certification.urls")),
    path("surveillance/", include("invigilation.urls")),
    path("jury/", include("jury.urls")),
    path("", include("results.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("finalization.urls")),
    path("", include("exams.urls")),
]
