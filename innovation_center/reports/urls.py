from django.urls import path

from innovation_center.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("monthly/", views.monthly, name="monthly"),
]
