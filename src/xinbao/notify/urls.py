from django.urls import path

from xinbao.notify import views

app_name = "notify"

urlpatterns = [
    path("messages/", views.notification_list, name="list"),
    path("messages/read/", views.mark_all_read, name="mark_read"),
]
