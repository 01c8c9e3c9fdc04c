"""The public web column, included under ``column/`` inside the ``publishing`` namespace."""

from django.urls import path

from xinbao.publishing import public_views

urlpatterns = [
    path("", public_views.column_list, name="column_list"),
    path("<int:pk>/", public_views.column_entry_page, name="column_entry"),
    path("feed.atom", public_views.column_feed, name="column_feed"),
]
