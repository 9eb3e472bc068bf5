from django.urls import path

from innovation_center.talent import views

app_name = "talent"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("courses/", views.course_list, name="course_list"),
    path("courses/new/", views.course_create, name="course_create"),
    path("courses/import/", views.course_import, name="course_import"),
    path("courses/<int:pk>/", views.course_detail, name="course_detail"),
    path("courses/<int:pk>/edit/", views.course_edit, name="course_edit"),
    path("crowd-tasks/", views.crowdtask_list, name="crowdtask_list"),
    path("crowd-tasks/new/", views.crowdtask_create, name="crowdtask_create"),
    path("crowd-tasks/<int:pk>/edit/", views.crowdtask_edit, name="crowdtask_edit"),
    path("internships/", views.internship_list, name="internship_list"),
    path("internships/new/", views.internship_create, name="internship_create"),
    path("internships/<int:pk>/edit/", views.internship_edit, name="internship_edit"),
]
