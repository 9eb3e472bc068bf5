from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from mozilla_django_oidc import urls as oidc_urls

from innovation_center.accounts.oidc import sso_only
from innovation_center.reports.views import landing, showcase

admin.site.site_header = "Innovation Center"

# Single sign-on: the library's URLs and names (`oidc_authentication_init`, ...) always
# resolve, so the login page can link them; while SSO is off they answer 404.
oidc_urlpatterns = [
    path(str(pattern.pattern), sso_only(pattern.callback), name=pattern.name)
    for pattern in oidc_urls.urlpatterns
]

urlpatterns = [
    path("", landing, name="home"),
    path("showcase/", showcase, name="showcase"),
    path("", include("innovation_center.core.urls")),
    path("accounts/", include("innovation_center.accounts.urls")),
    path("oidc/", include(oidc_urlpatterns)),
    path("ecosystem/", include("innovation_center.ecosystem.urls")),
    path("talent/", include("innovation_center.talent.urls")),
    path("compute/", include("innovation_center.compute.urls")),
    path("portal/", include("innovation_center.evaluation.urls")),
    path("benchmarks/", include("innovation_center.benchmarks.urls")),
    path("programs/", include("innovation_center.programs.urls")),
    path("kpi/", include("innovation_center.programs.kpi_urls")),
    path("reports/", include("innovation_center.reports.urls")),
    path("api/v1/", include("innovation_center.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
