from django.urls import path

from innovation_center.core import views

app_name = "core"
urlpatterns = [
    path("health/", views.health, name="health"),
]
