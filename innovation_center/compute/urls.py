from django.urls import path

from innovation_center.compute import capacity_views, device_views, planner_views, views

app_name = "compute"
urlpatterns = [
    path("", device_views.overview, name="overview"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/review/", views.review_queue, name="review_queue"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/approve/", views.request_approve, name="request_approve"),
    path("requests/<int:pk>/reject/", views.request_reject, name="request_reject"),
    path("requests/<int:pk>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("allocations/", views.allocation_list, name="allocation_list"),
    path("allocations/<int:pk>/", views.allocation_detail, name="allocation_detail"),
    path("allocations/<int:pk>/change/", views.allocation_change, name="allocation_change"),
    path(
        "allocations/<int:pk>/<str:action>/",
        capacity_views.allocation_action,
        name="allocation_action",
    ),
    path("capacity/", capacity_views.capacity_page, name="capacity"),
    path("capacity/pools/<int:pk>/", capacity_views.pool_edit, name="capacity_pool_edit"),
    path("devices/", device_views.device_list, name="device_list"),
    path("devices/<int:pk>/health/", device_views.device_health, name="device_health"),
    path("capacity/whatif/", planner_views.whatif, name="capacity_whatif"),
]
