from django.urls import path

from innovation_center.programs import kpi_views as views

app_name = "kpi"
urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("criteria/", views.criteria_page, name="criteria"),
    path("criteria/export.xlsx", views.criteria_export_xlsx, name="criteria_export"),
    path("criteria/<slug:key>/", views.criteria_detail, name="criteria_detail"),
]
