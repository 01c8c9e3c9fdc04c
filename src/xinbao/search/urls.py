from django.urls import path

from xinbao.search import views

app_name = "search"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("search/similar/<int:pk>/<int:other_pk>/", views.passages, name="passages"),
    path("search/check/", views.check_draft, name="check_draft"),
    path("search/merge/", views.merge, name="merge"),
]
