from django.urls import path

from xinbao.transfer import views

app_name = "transfer"

urlpatterns = [
    path("transfer/imports/", views.imports, name="imports"),
]
