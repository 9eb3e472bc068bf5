from django.urls import path

from innovation_center.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.portal_home, name="portal_home"),
    path("models/", views.model_list, name="model_list"),
    path("models/upload/", views.model_upload, name="model_upload"),
    path("models/<int:pk>/", views.model_detail, name="model_detail"),
    path("models/<int:pk>/results/", views.model_results, name="model_results"),
    path("datasets/", views.dataset_list, name="dataset_list"),
    path("datasets/upload/", views.dataset_upload, name="dataset_upload"),
    path("datasets/<int:pk>/", views.dataset_detail, name="dataset_detail"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/new/", views.job_submit, name="job_submit"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path("jobs/<int:pk>/result/", views.job_result_download, name="job_result_download"),
]
