"""URLs of the street administration pages, under /street-admin/."""

from django.urls import path

from portal.administration import views

app_name = "administration"

urlpatterns = [
    path("", views.index, name="index"),
    path("jurisdiction/", views.jurisdiction_list, name="jurisdiction"),
    path("accounts/new-integration/", views.integration_create, name="integration-create"),
    path("accounts/<id:pk>/", views.account_detail, name="account-detail"),
    path("accounts/<id:pk>/grant/", views.account_grant, name="account-grant"),
    path("accounts/<id:pk>/revoke/<id:region_pk>/", views.account_revoke, name="account-revoke"),
    path(
        "accounts/<id:pk>/password-reset/",
        views.account_password_reset,
        name="account-password-reset",
    ),
    path("accounts/<id:pk>/token/", views.token_issue, name="token-issue"),
    path("accounts/<id:pk>/tokens/<id:token_pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("partners/", views.partner_list, name="partners"),
    path("partners/new/", views.partner_create, name="partner-create"),
    path("partners/<id:pk>/", views.partner_detail, name="partner-detail"),
    path("partners/<id:pk>/edit/", views.partner_edit, name="partner-edit"),
    path("partners/<id:pk>/staff/new/", views.partner_staff_create, name="partner-staff-create"),
    path("partners/<id:pk>/staff/bind/", views.partner_staff_bind, name="partner-staff-bind"),
    path(
        "partners/<id:pk>/staff/<id:user_pk>/password-reset/",
        views.partner_staff_password_reset,
        name="partner-staff-password-reset",
    ),
    path(
        "partners/<id:pk>/staff/<id:user_pk>/unbind/",
        views.partner_staff_unbind,
        name="partner-staff-unbind",
    ),
    path("communities/", views.community_list, name="communities"),
    path("communities/new/", views.community_create, name="community-create"),
    path("communities/<id:pk>/rename/", views.community_rename, name="community-rename"),
    path("catalogue/", views.catalogue_list, name="catalogue"),
    path("catalogue/new/", views.service_item_create, name="service-item-create"),
    path("catalogue/<id:pk>/edit/", views.service_item_edit, name="service-item-edit"),
    path("catalogue/rule-check/", views.rule_check, name="rule-check"),
]
