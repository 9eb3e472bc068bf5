from innovation_center.accounts.access import viewer_for
from innovation_center.core.navigation import menu_for


def roles(request):
    """The signed-in user's entitlements and menu for templates (views still scope)."""
    viewer = viewer_for(getattr(request, "user", None))
    return {"viewer": viewer, "menu": menu_for(viewer) if viewer.user_id else []}
