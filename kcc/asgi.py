"""ASGI entry point: HTTP to Django; websockets (origin-checked on scheme, host and port; session or
wall-screen cookie) to the live consumer."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kcc.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from dashboard.live.middleware import DisplayTokenMiddleware, FullOriginValidator  # noqa: E402
from dashboard.live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": FullOriginValidator(DisplayTokenMiddleware(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))),
    }
)
