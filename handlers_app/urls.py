from __future__ import annotations

from django.urls import path

from handlers_app.views import connections

urlpatterns = [
    path("", connections.home, name="home"),
    path("setup/", connections.first_admin, name="first_admin"),
    path("connections/new/", connections.connection_new, name="connection_new"),
    path(
        "connections/<int:connection_id>/edit/", connections.connection_edit, name="connection_edit"
    ),
    path(
        "connections/<int:connection_id>/delete/",
        connections.connection_remove,
        name="connection_delete",
    ),
]
