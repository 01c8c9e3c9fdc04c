from django.urls import path

from xinbao.search import views

app_name = "search"

urlpatterns = [
    path("search/", views.search, name="search"),
]
