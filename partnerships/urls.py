from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from partnerships.views import dashboard, documents, mous, partners, reviews, templates

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
    path("mous/<int:pk>/<slug:action>/", mous.mou_transition, name="mou_transition"),
    path("partners/", partners.partner_list, name="partner_list"),
    path("partners/new/", partners.partner_create, name="partner_create"),
    path("partners/<int:pk>/", partners.partner_detail, name="partner_detail"),
    path("partners/<int:pk>/edit/", partners.partner_edit, name="partner_edit"),
    path("templates/", templates.template_list, name="template_list"),
    path("templates/versions/<int:pk>.docx", templates.template_download, name="template_download"),
    path("admin/", admin.site.urls),
]
