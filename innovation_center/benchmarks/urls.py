from django.urls import path

from innovation_center.benchmarks import views

app_name = "benchmarks"
urlpatterns = [
    path("", views.suite_list, name="suite_list"),
    path("new/", views.suite_create, name="suite_create"),
    path("allocations/", views.center_allocation_list, name="center_allocations"),
    path("allocations/new/", views.center_allocation_create, name="center_allocation_create"),
    path("jobs/<int:pk>/verify/", views.job_verify, name="job_verify"),
    path("jobs/<int:pk>/rerun/", views.job_rerun, name="job_rerun"),
    path("<slug:slug>/", views.suite_detail, name="suite_detail"),
    path("<slug:slug>/edit/", views.suite_edit, name="suite_edit"),
    path("<slug:slug>/submit/", views.suite_submit, name="suite_submit"),
]
