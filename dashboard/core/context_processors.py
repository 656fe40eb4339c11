from dashboard.core.permissions import user_roles


def roles(request):
    """The user's roles, for showing only the pages they may open."""
    return {"kcc_roles": user_roles(request.user) if hasattr(request, "user") else set()}
