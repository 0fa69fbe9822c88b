from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from partnerships.authorities import views as partners
from partnerships.dashboard import views as dashboard
from partnerships.documents import template_views as templates
from partnerships.documents import views as documents
from partnerships.events import views as events
from partnerships.mous import review_views as reviews
from partnerships.mous import views as mous
from partnerships.placements import people_views as people
from partnerships.placements import views as placements
from partnerships.placements.imports import views as imports
from partnerships.referrals import views as referrals
from partnerships.reports import funnel_views as funnel_pages
from partnerships.reports import views as report_pages
from partnerships.signing import invitation_views as invitation
from partnerships.signing import verification_views as verification
from partnerships.signing import views as signing

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
    path("mous/<int:pk>/documents/status/", documents.document_status, name="document_status"),
    path(
        "mous/<int:pk>/documents/<int:document_pk>.<str:extension>",
        documents.document_download,
        name="document_download",
    ),
    path("mous/<int:pk>/signable.pdf", documents.signable_pdf, name="signable_pdf"),
    path("mous/<int:pk>/placements/", placements.mou_placements, name="mou_placements"),
    path("mous/<int:pk>/placements/new/", placements.placement_report, name="placement_report"),
    path("mous/<int:pk>/signing/certify/", signing.mou_certify, name="mou_certify"),
    path(
        "mous/<int:pk>/signing/authority-upload/",
        signing.mou_authority_upload,
        name="mou_authority_upload",
    ),
    path("mous/<int:pk>/signing/invite/", signing.mou_invite, name="mou_invite"),
    path(
        "mous/<int:pk>/signing/business/", signing.mou_sign_as_business, name="mou_sign_as_business"
    ),
    path(
        "mous/<int:pk>/signing/revisions/<int:sequence>.pdf",
        signing.mou_revision_pdf,
        name="mou_revision_pdf",
    ),
    path("mous/<int:pk>/signing/final.pdf", signing.mou_final_pdf, name="mou_final_pdf"),
    path(
        "mous/<int:pk>/signing/certificate.pdf",
        signing.mou_certificate_pdf,
        name="mou_certificate_pdf",
    ),
    path("mous/<int:pk>/renew/", mous.mou_renew, name="mou_renew"),
    path("mous/<int:pk>/<slug:action>/", mous.mou_transition, name="mou_transition"),
    path(
        "mous/<int:pk>/<slug:action>/confirm/",
        mous.mou_transition_confirm,
        name="mou_transition_confirm",
    ),
    path("partners/", partners.partner_list, name="partner_list"),
    path("partners/new/", partners.partner_create, name="partner_create"),
    path("partners/<int:pk>/", partners.partner_detail, name="partner_detail"),
    path("partners/<int:pk>/edit/", partners.partner_edit, name="partner_edit"),
    path("templates/", templates.template_list, name="template_list"),
    path("templates/versions/<int:pk>.docx", templates.template_download, name="template_download"),
    path("placements/", placements.placement_list, name="placement_list"),
    path("placements/open/", placements.open_places, name="open_places"),
    path("placements/confirm/", placements.placement_confirm_many, name="placement_confirm_many"),
    path("placements/<int:pk>/", placements.placement_detail, name="placement_detail"),
    path("placements/<int:pk>/confirm/", placements.placement_confirm, name="placement_confirm"),
    path("placements/<int:pk>/reject/", placements.placement_reject, name="placement_reject"),
    path("placements/<int:pk>/end/", placements.placement_end, name="placement_end"),
    path(
        "placements/<int:pk>/identity/",
        placements.placement_settle_identity,
        name="placement_settle_identity",
    ),
    path("people/", people.person_list, name="person_list"),
    path("people/<int:pk>/", people.person_detail, name="person_detail"),
    path("people/<int:pk>/refer/", referrals.person_refer, name="person_refer"),
    path("referrals/", referrals.referral_list, name="referral_list"),
    path("referrals/<int:pk>/", referrals.referral_detail, name="referral_detail"),
    path(
        "referrals/<int:pk>/<slug:outcome>/",
        referrals.referral_outcome,
        name="referral_outcome",
    ),
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
    # Public: the signing link (its token opens it once, then the browser's session holds it,
    # on token-free addresses) and verification for anyone.
    path("sign/<str:token>/", invitation.invitation, name="invitation"),
    path("signing/", invitation.signing_page, name="signing_page"),
    path("signing/document.pdf", invitation.invitation_document, name="invitation_document"),
    path(
        "signing/pages/<int:sequence>/<int:number>.png",
        invitation.invitation_page_image,
        name="invitation_page_image",
    ),
    path("signing/final.pdf", invitation.invitation_final, name="invitation_final"),
    path(
        "signing/certificate.pdf", invitation.invitation_certificate, name="invitation_certificate"
    ),
    path("signing/code/", invitation.invitation_code, name="invitation_code"),
    path("signing/seal/", invitation.invitation_seal, name="invitation_seal"),
    path("signing/upload/", invitation.invitation_upload, name="invitation_upload"),
    path("signing/decline/", invitation.invitation_decline, name="invitation_decline"),
    path("verify/", verification.verify_page, name="verify"),
    path("v/<str:public_id>/", verification.public_mou, name="public_mou"),
    path("events/", events.event_list, name="event_list"),
    path("events/new/", events.event_create, name="event_create"),
    path("events/<int:pk>/", events.event_detail, name="event_detail"),
    path("events/<int:pk>/edit/", events.event_edit, name="event_edit"),
    path("reports/mous/", report_pages.mou_report, name="report_mous"),
    path("reports/partners/", report_pages.partner_report, name="report_partners"),
    path("reports/authorities/", report_pages.authority_report, name="report_authorities"),
    path("reports/groups/", report_pages.group_report, name="report_groups"),
    path("reports/periods/", report_pages.period_report, name="report_periods"),
    path("reports/province/", report_pages.province_summary, name="report_province"),
    path("reports/funnel/", funnel_pages.funnel_report, name="report_funnel"),
    path("reports/cohorts/", funnel_pages.cohort_report, name="report_cohorts"),
    path("admin/", admin.site.urls),
]
