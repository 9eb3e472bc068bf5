"""The REST API under /api/v1/ (filled by the API work)."""

urlpatterns: list = []
