from django.urls import path

from innovation_center.programs import application_views as applications
from innovation_center.programs import views

app_name = "programs"
urlpatterns = [
    path("", views.call_list, name="call_list"),
    path("calls/new/", views.call_create, name="call_create"),
    path("calls/<slug:slug>/", views.call_public, name="call_public"),
    path("calls/<slug:slug>/edit/", views.call_edit, name="call_edit"),
    path("calls/<slug:slug>/publish/", views.call_publish, name="call_publish"),
    path("calls/<slug:slug>/applications/", views.call_applications, name="call_applications"),
    path("calls/<slug:slug>/assign/", views.call_assign, name="call_assign"),
    path("calls/<slug:slug>/apply/", views.call_apply, name="call_apply"),
    path("calls/<slug:slug>/register/", views.call_register, name="call_register"),
    path("applications/<int:pk>/", applications.application_detail, name="application_detail"),
    path(
        "applications/<int:pk>/attachments/",
        applications.attachment_add,
        name="attachment_add",
    ),
    path(
        "applications/<int:pk>/withdraw/",
        applications.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "applications/<int:pk>/decide/",
        applications.application_decide,
        name="application_decide",
    ),
    path("attachments/<int:pk>/", applications.attachment_download, name="attachment_download"),
    path(
        "attachments/<int:pk>/remove/",
        applications.attachment_remove,
        name="attachment_remove",
    ),
    path("reviews/", applications.my_reviews, name="my_reviews"),
    path("reviews/<int:pk>/", applications.review_score, name="review_score"),
    path("conflicts/", applications.conflict_list, name="conflict_list"),
]
