from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from partnerships.views import (
    dashboard,
    documents,
    imports,
    mous,
    partners,
    people,
    placements,
    reviews,
    templates,
)

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="auth/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("mous/", mous.mou_list, name="mou_list"),
    path("mous/new/", mous.mou_create, name="mou_create"),
    path("mous/<int:pk>/", mous.mou_detail, name="mou_detail"),
    path("mous/<int:pk>/edit/", mous.mou_edit, name="mou_edit"),
    path("mous/<int:pk>/reviews/", reviews.review_create, name="review_create"),
    path("mous/<int:pk>/documents/", documents.document_prepare, name="document_prepare"),
    path(
        "mous/<int:pk>/documents/<int:document_pk>.<str:extension>",
        documents.document_download,
        name="document_download",
    ),
    path("mous/<int:pk>/signable.pdf", documents.signable_pdf, name="signable_pdf"),
    path("mous/<int:pk>/placements/", placements.mou_placements, name="mou_placements"),
    path("mous/<int:pk>/placements/new/", placements.placement_report, name="placement_report"),
    path("mous/<int:pk>/<slug:action>/", mous.mou_transition, name="mou_transition"),
    path("partners/", partners.partner_list, name="partner_list"),
    path("partners/new/", partners.partner_create, name="partner_create"),
    path("partners/<int:pk>/", partners.partner_detail, name="partner_detail"),
    path("partners/<int:pk>/edit/", partners.partner_edit, name="partner_edit"),
    path("templates/", templates.template_list, name="template_list"),
    path("templates/versions/<int:pk>.docx", templates.template_download, name="template_download"),
    path("placements/", placements.placement_list, name="placement_list"),
    path("placements/confirm/", placements.placement_confirm_many, name="placement_confirm_many"),
    path("placements/<int:pk>/", placements.placement_detail, name="placement_detail"),
    path("placements/<int:pk>/confirm/", placements.placement_confirm, name="placement_confirm"),
    path("placements/<int:pk>/reject/", placements.placement_reject, name="placement_reject"),
    path("placements/<int:pk>/end/", placements.placement_end, name="placement_end"),
    path("people/", people.person_list, name="person_list"),
    path("people/<int:pk>/", people.person_detail, name="person_detail"),
    path(
        "people/<int:pk>/withdraw-consent/",
        people.person_withdraw_consent,
        name="person_withdraw_consent",
    ),
    path("imports/", imports.import_upload, name="import_upload"),
    path(
        "imports/template.<str:extension>",
        imports.import_template,
        name="import_template",
    ),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/problems.csv", imports.import_problems_csv, name="import_problems"),
    path("imports/<int:pk>/confirm/", imports.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/cancel/", imports.import_cancel, name="import_cancel"),
    path("admin/", admin.site.urls),
]
