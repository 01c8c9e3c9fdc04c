from django.urls import path

from xinbao.topics import views

app_name = "topics"

urlpatterns = [
    path("topics/", views.topic_list, name="list"),
    path("topics/new/", views.topic_new, name="new"),
    path("topics/<int:pk>/", views.topic_detail, name="detail"),
    path("topics/<int:pk>/decline/", views.topic_decline, name="decline"),
    path("topics/<int:pk>/close/", views.topic_close, name="close"),
    path("key-work/", views.key_work, name="key_work"),
    path("key-work/<int:pk>/", views.key_work_edit, name="key_work_edit"),
    path("key-work/coverage/", views.coverage, name="coverage"),
    path("items/<int:pk>/key-work/", views.item_key_work, name="item_key_work"),
    path("timeliness/", views.timeliness, name="timeliness"),
]
