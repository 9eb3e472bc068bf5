from innovation_center.core.scoping import viewer_for


def roles(request):
    """Expose the signed-in user's entitlements to templates (menus only; views still scope)."""
    return {"viewer": viewer_for(getattr(request, "user", None))}
