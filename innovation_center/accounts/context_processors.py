from innovation_center.accounts.access import viewer_for
from innovation_center.accounts.models import Notification
from innovation_center.core.navigation import menu_for


def roles(request):
    """The signed-in user's entitlements, menu and unread messages for templates (views
    still scope)."""
    viewer = viewer_for(getattr(request, "user", None))
    if not viewer.user_id:
        return {"viewer": viewer, "menu": []}
    return {
        "viewer": viewer,
        "menu": menu_for(viewer),
        "unread_notifications": lambda: Notification.objects.filter(
            user_id=viewer.user_id, read_at__isnull=True
        ).count(),
    }
