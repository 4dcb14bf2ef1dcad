"""URL map: the foundation's pages and API, and each module wired in."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from grids import api as grids_api
from partybuilding import api as partybuilding_api
from portal import password_change, two_factor, views
from portal.api.webhooks import WebhookSubscriptionViewSet
from portal.forms import LoginForm
from reporting import api as reporting_api
from services import api as services_api

api_router = DefaultRouter()
grids_api.register(api_router)
services_api.register(api_router)
partybuilding_api.register(api_router)
reporting_api.register(api_router)
api_router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", password_change.password_change_page, name="password-change"),
    path("accounts/two-factor/setup/", two_factor.setup_page, name="two-factor-setup"),
    path("accounts/two-factor/verify/", two_factor.verify_page, name="two-factor-verify"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications-read"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("grids/", include("grids.urls")),
    path("services/", include("services.urls")),
    path("party/", include("partybuilding.urls")),
    path("reporting/", include("reporting.urls")),
    path("street-admin/", include("portal.administration.urls")),
    path("api/v1/", include(api_router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
