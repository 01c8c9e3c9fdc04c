from django.urls import path

from xinbao.transfer import views

app_name = "transfer"

urlpatterns = [
    path("transfer/", views.exports, name="exports"),
    path("transfer/exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("transfer/exports/<int:pk>/delete/", views.export_delete, name="export_delete"),
    path("transfer/imports/", views.imports, name="imports"),
]
