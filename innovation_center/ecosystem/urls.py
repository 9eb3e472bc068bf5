from django.urls import path

from innovation_center.ecosystem import search, views

app_name = "ecosystem"
urlpatterns = [
    path("companies/", views.company_list, name="company_list"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/search/", search.company_search, name="company_search"),
    path("companies/import/", views.company_import, name="company_import"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company_edit"),
    path(
        "companies/<int:pk>/admit/",
        views.company_transition,
        {"action": "admit"},
        name="company_admit",
    ),
    path(
        "companies/<int:pk>/incubate/",
        views.company_transition,
        {"action": "incubate"},
        name="company_incubate",
    ),
    path(
        "companies/<int:pk>/graduate/",
        views.company_transition,
        {"action": "graduate"},
        name="company_graduate",
    ),
    path(
        "companies/<int:pk>/exit/",
        views.company_transition,
        {"action": "exit"},
        name="company_exit",
    ),
    path(
        "companies/<int:company_pk>/engagements/new/",
        views.engagement_create,
        name="engagement_create",
    ),
    path("board/", views.engagement_board, name="engagement_board"),
    path("engagements/<int:pk>/", views.engagement_detail, name="engagement_detail"),
    path("engagements/<int:pk>/edit/", views.engagement_edit, name="engagement_edit"),
    path("engagements/<int:pk>/advance/", views.engagement_advance, name="engagement_advance"),
    path("engagements/<int:pk>/milestones/new/", views.milestone_create, name="milestone_create"),
    path("milestones/<int:pk>/complete/", views.milestone_complete, name="milestone_complete"),
    path("milestones/<int:pk>/edit/", views.milestone_edit, name="milestone_edit"),
    path("solutions/", views.solution_list, name="solution_list"),
    path("solutions/new/", views.solution_create, name="solution_create"),
    path("solutions/<int:pk>/", views.solution_detail, name="solution_detail"),
    path("solutions/<int:pk>/edit/", views.solution_edit, name="solution_edit"),
    path("solutions/<int:pk>/publish/", views.solution_publish, name="solution_publish"),
]
